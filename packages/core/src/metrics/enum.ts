// Enum: which one of a fixed set of states a thing is in, as in Python's prometheus_client (an OpenMetrics
// StateSet). A series keeps the index of its current state in one shared word, so `state()` from any process is
// one atomic store and the last one wins; a new or reset series is in the first state. Exported as one sample per
// state, `<name>{<name>="<state>"} 1` for the current state and 0 for the others.
import { MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import type { SharedWords } from '../heap/shared-words.js';
import { labelObject, SharedMetric, type LabelValues, type MetricConfiguration, type MetricObjectWithValues } from './metric.js';
import { checkLabelLikeName, checkMetricName, checkStates } from './validation.js';

export interface EnumConfiguration<T extends string, S extends string> extends Omit<MetricConfiguration<T>, 'enableExemplars'> {
  /** The states, non-empty and unique; the first is the state of a series nobody has set yet. */
  states: readonly S[];
}

/** State name → its index, and the index as the shared word stores it. */
interface StateTable {
  readonly index: ReadonlyMap<string, bigint>;
  readonly names: readonly string[];
  readonly metric: string;
}

function unknownState(metric: string, states: readonly string[], state: unknown): MpmetricsRangeError {
  return new MpmetricsRangeError(
    `Unknown state ${typeof state === 'string' ? JSON.stringify(state) : describeValue(state)} for enum ${metric}: ` +
      `its states are ${states.map((s) => JSON.stringify(s)).join(', ')}`,
  );
}

/** An Enum bound to one label set (`enum.labels(...)`). */
export class EnumChild<S extends string = string> {
  readonly #heap: Heap;
  readonly #series: number;
  readonly #words: SharedWords;
  readonly #states: StateTable;

  constructor(heap: Heap, series: number, states: StateTable) {
    this.#heap = heap;
    this.#series = series;
    this.#words = heap.shared(series);
    this.#states = states;
  }

  /** Sets the current state, for every process. */
  state(state: S): void {
    const index = this.#states.index.get(state);
    if (index === undefined) throw unknownState(this.#states.metric, this.#states.names, state);
    this.#heap.revive(this.#series);
    this.#words.setInt(0, index);
  }
}

export class Enum<T extends string = string, S extends string = string> extends SharedMetric<T, EnumChild<S>> {
  readonly states: readonly S[];

  constructor(configuration: EnumConfiguration<T, S>) {
    if (typeof configuration !== 'object' || configuration === null) {
      throw new MpmetricsTypeError(`An enum needs a configuration object, received ${describeValue(configuration)}`);
    }
    // the state label is named after the metric: the name must be a label name, and no other label may have it
    const name = checkLabelLikeName(checkMetricName(configuration.name), 'enum');
    if (Array.isArray(configuration.labelNames) && (configuration.labelNames as unknown[]).includes(name)) {
      throw new MpmetricsRangeError(`Invalid label name ${JSON.stringify(name)}: the state label of enum ${name} has that name already`, { code: 'MPM_ERR_LABELS' });
    }
    const states = checkStates(configuration.states) as readonly S[];
    super(configuration, 'stateset', { states }, [name]);
    this.states = states;
  }

  protected createChild(ptr: number): EnumChild<S> {
    // once per label set and process (children are cached); runs inside super() for an enum without labels
    const states = this.meta.states!;
    return new EnumChild<S>(this.heap, ptr, { index: new Map(states.map((s, i) => [s, BigInt(i)])), names: states, metric: this.name });
  }

  /** Sets the state of the metric without labels, or (with `labels`) of that label set. */
  state(state: S): void;
  state(labels: LabelValues<T>, state: S): void;
  state(labelsOrState: LabelValues<T> | S, state?: S): void {
    if (typeof labelsOrState === 'object' && labelsOrState !== null) {
      // checked before the label set is looked up, so that a wrong state does not create the series
      if (!this.states.includes(state as S)) throw unknownState(this.name, this.states, state);
      this.child(labelsOrState).state(state as S);
    }
    else this.child(undefined).state(labelsOrState);
  }

  /**
   * As prom-client's Registry prints it: the OpenMetrics stateset when every registry of this metric writes
   * OpenMetrics, else a gauge with the same samples (valid in both formats).
   */
  async get(): Promise<MetricObjectWithValues<T>> {
    const snapshot = await this.snapshot();
    const values: MetricObjectWithValues<T>['values'] = [];
    for (const s of snapshot.series) {
      const labels = labelObject(this.labelNames, s.labels);
      this.states.forEach((state, i) => values.push({ labels: { ...labels, [this.name]: state }, value: s.values[i]! }));
    }
    return { name: this.name, help: this.help, type: this.registriesWriteOpenMetrics ? 'stateset' : 'gauge', aggregator: this.aggregator, values };
  }
}
