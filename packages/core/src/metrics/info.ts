// Info: a set of labels describing the target (build, version), as in Python's prometheus_client, exported as
// `<name>_info{…} 1`. The labels are text, so a series keeps them as a pointer, in its one shared word, to an
// immutable record holding their JSON (interned in a companion family of the heap: the same text is one record
// for every process). `info()` swaps the pointer with one atomic store: a reader in any process sees the old set
// or the new one, whole, never a mix.
import type { Heap } from '../heap/heap.js';
import type { SharedWords } from '../heap/shared-words.js';
import { labelObject, SharedMetric, type LabelValues, type MetricConfiguration, type MetricObjectWithValues } from './metric.js';
import { checkInfoLabels } from './validation.js';
import { MpmetricsTypeError, describeValue } from '../errors.js';

export type InfoConfiguration<T extends string> = Omit<MetricConfiguration<T>, 'enableExemplars'>;

/** Info labels: label name → text. */
export type InfoLabels = Readonly<Record<string, string>>;

/** Meta text of the companion family holding a family's interned info labels (not a metric: never exported). */
const VALUES_META = JSON.stringify({ mpmetrics: 'info labels' });

/** The name of the companion family of interned info labels; no metric can have it (metric names have no '/'). */
function valuesFamilyName(name: string): string {
  return `${name}/info-labels`;
}

/** An Info bound to one label set (`info.labels(...)`). */
export class InfoChild {
  readonly #heap: Heap;
  readonly #series: number;
  readonly #words: SharedWords;
  readonly #valuesFamily: number;
  readonly #labelNames: readonly string[];

  constructor(heap: Heap, series: number, valuesFamily: number, labelNames: readonly string[]) {
    this.#heap = heap;
    this.#series = series;
    this.#words = heap.shared(series);
    this.#valuesFamily = valuesFamily;
    this.#labelNames = labelNames;
  }

  /** Replaces the info labels of this series, for every process, in one atomic step. */
  info(labels: InfoLabels): void {
    const pairs = checkInfoLabels(labels, this.#labelNames);
    const record = this.#heap.intern(this.#valuesFamily, JSON.stringify(pairs));
    this.#heap.revive(this.#series);
    this.#words.setInt(0, BigInt(record));
  }
}

export class Info<T extends string = string> extends SharedMetric<T, InfoChild> {
  /**
   * `name` is the family name; samples are `<name>_info`. A name given with the `_info` suffix is the same
   * family (as a counter's `_total`), so `app_build` and `app_build_info` both export `app_build_info{…} 1`.
   */
  constructor(configuration: InfoConfiguration<T>) {
    if (typeof configuration !== 'object' || configuration === null) {
      throw new MpmetricsTypeError(`An info needs a configuration object, received ${describeValue(configuration)}`);
    }
    const name = typeof configuration.name === 'string' && configuration.name !== '_info' ? configuration.name.replace(/_info$/, '') : configuration.name;
    // strict: `info({ version })` on an info with labels would otherwise set the info of the label set with none,
    // where the caller surely forgot the labels (prom-client has no Info; Python's needs every label)
    super({ ...configuration, name }, 'info', {}, [], true);
  }

  protected createChild(ptr: number): InfoChild {
    // once per label set and process (children are cached); runs inside super() for an info without labels
    const valuesFamily = this.heap.family(valuesFamilyName(this.name), VALUES_META).ptr;
    return new InfoChild(this.heap, ptr, valuesFamily, this.labelNames);
  }

  /** Sets the info labels of the metric without labels, or (with `labels`) of that label set. */
  info(info: InfoLabels): void;
  info(labels: LabelValues<T>, info: InfoLabels): void;
  info(labelsOrInfo: LabelValues<T> | InfoLabels, info?: InfoLabels): void {
    if (info === undefined) {
      this.child(undefined).info(labelsOrInfo as InfoLabels);
    } else {
      checkInfoLabels(info, this.labelNames); // before the label set is looked up: bad input creates no series
      this.child(labelsOrInfo as LabelValues<T>).info(info);
    }
  }

  /**
   * As prom-client's Registry prints it: the OpenMetrics info family `<name>` with samples `<name>_info` when
   * every registry of this metric writes OpenMetrics, else the gauge `<name>_info` (valid in both formats).
   */
  async get(): Promise<MetricObjectWithValues<T>> {
    const snapshot = await this.snapshot();
    const sample = `${this.name}_info`;
    const openMetrics = this.registriesWriteOpenMetrics;
    return {
      name: openMetrics ? this.name : sample,
      help: this.help,
      type: openMetrics ? 'info' : 'gauge',
      aggregator: this.aggregator,
      values: snapshot.series.map((s) => {
        const labels: Record<string, string> = labelObject(this.labelNames, s.labels);
        for (const [name, value] of s.info ?? []) labels[name] = value;
        return { value: 1, labels: labels as MetricObjectWithValues<T>['values'][number]['labels'], metricName: sample };
      }),
    };
  }
}
