// The bench of the prom-client parity tests (metrics-counter/gauge/histogram/summary.test.ts): the same metric is
// built four times, once by @mpmetrics/core and once by prom-client 15.1.3, each in a registry of each content type
// (Prometheus text 0.0.4 and OpenMetrics). A test drives the same calls on all four and compares what the registries
// write and what `get()` returns, side by side, format by format.
//
// Our two copies live in two private heaps (one per format), so each pair starts from the same nothing and the
// registries do not share values. Metric names are made unique per test (`uniqueName`), so one heap per file does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry, type CounterConfiguration, type OpenMetricsContentType } from 'prom-client';
import { expect } from 'vitest';
import { Heap } from '../../src/index.js';

export type Side = 'ours' | 'theirs';
export type Format = 'prometheus' | 'openmetrics';
const FORMATS: readonly Format[] = ['prometheus', 'openmetrics'];

/** What both libraries take as `registers`. */
export type Registers = NonNullable<CounterConfiguration<string>['registers']>;
export type AnyRegistry = Registers[number];

/** A heap of our own in a fresh directory of mode 0700, removed by `close()`. */
export interface PrivateHeap {
  readonly heap: Heap;
  readonly dir: string;
  close(): void;
}

export function privateHeap(prefix: string): PrivateHeap {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o700);
  const heap = Heap.open({ dir });
  return {
    heap,
    dir,
    close() {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One heap per format, for a whole test file. */
export interface ParityHeaps {
  readonly prometheus: Heap;
  readonly openmetrics: Heap;
  close(): void;
}

export function parityHeaps(prefix: string): ParityHeaps {
  const text = privateHeap(`${prefix}text-`);
  const om = privateHeap(`${prefix}om-`);
  return {
    prometheus: text.heap,
    openmetrics: om.heap,
    close() {
      text.close();
      om.close();
    },
  };
}

export function registryOf(format: Format): AnyRegistry {
  if (format === 'prometheus') return new Registry();
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

let names = 0;
/** A metric name no other test of the file uses (each test declares into the same heaps). */
export function uniqueName(base: string): string {
  names++;
  return base.replace(/^([a-z]+)_/, `$1_t${names}_`);
}

export interface Instance<M> {
  readonly side: Side;
  readonly format: Format;
  readonly metric: M;
  readonly registry: AnyRegistry;
}

/**
 * Builds the metric four times: `build(side, registers, heap)` must return a new metric of that side registered in
 * exactly `registers` (and, for ours, kept in `heap`).
 */
export class Twins<M> {
  readonly instances: readonly Instance<M>[];

  constructor(heaps: ParityHeaps, build: (side: Side, registers: Registers, heap: Heap) => M) {
    const instances: Instance<M>[] = [];
    for (const format of FORMATS) {
      for (const side of ['ours', 'theirs'] as const) {
        const registry = registryOf(format);
        instances.push({ side, format, registry, metric: build(side, [registry], heaps[format]) });
      }
    }
    this.instances = instances;
  }

  of(side: Side, format: Format): Instance<M> {
    return this.instances.find((i) => i.side === side && i.format === format)!;
  }

  /** Runs the same calls on all four metrics. */
  each(calls: (metric: M, side: Side) => void): void {
    for (const instance of this.instances) calls(instance.metric, instance.side);
  }

  /** Runs calls that must throw on all four; returns what each side threw (ours first). */
  throws(calls: (metric: M, side: Side) => void): Record<Side, unknown> {
    const thrown: Partial<Record<Side, unknown>> = {};
    for (const instance of this.instances) {
      let error: unknown;
      let threw = false;
      try {
        calls(instance.metric, instance.side);
      } catch (e) {
        threw = true;
        error = e;
      }
      expect(threw, `${instance.side} (${instance.format}) did not throw`).toBe(true);
      thrown[instance.side] = error;
    }
    return thrown as Record<Side, unknown>;
  }

  /** `registry.metrics()` of both sides, per format. */
  async expositions(): Promise<Record<Format, Record<Side, string>>> {
    const out = {} as Record<Format, Record<Side, string>>;
    for (const format of FORMATS) {
      out[format] = { ours: await this.of('ours', format).registry.metrics(), theirs: await this.of('theirs', format).registry.metrics() };
    }
    return out;
  }

  /**
   * Both formats, both sides, written the same, byte for byte; `normalize` may rewrite both texts first (a
   * deliberate difference, explained where it is used). Returns the texts.
   */
  async expectSameExpositions(normalize: (text: string, side: Side, format: Format) => string = (t) => t): Promise<Record<Format, Record<Side, string>>> {
    const texts = await this.expositions();
    for (const format of FORMATS) {
      const { ours, theirs } = texts[format];
      expect(normalize(ours, 'ours', format), `registry.metrics(), ${format}`).toBe(normalize(theirs, 'theirs', format));
    }
    return texts;
  }

  /** `get()` of both sides, per format, whole. */
  async gets(): Promise<Record<Format, Record<Side, MetricJson>>> {
    const out = {} as Record<Format, Record<Side, MetricJson>>;
    for (const format of FORMATS) {
      const get = async (side: Side): Promise<MetricJson> => (this.of(side, format).metric as unknown as { get(): Promise<MetricJson> }).get();
      out[format] = { ours: await get('ours'), theirs: await get('theirs') };
    }
    return out;
  }

  /** `get()` equal on both sides, in both formats (after `normalize`, if given). */
  async expectSameGet(normalize: (json: MetricJson, side: Side) => MetricJson = (j) => j): Promise<Record<Format, Record<Side, MetricJson>>> {
    const gets = await this.gets();
    for (const format of FORMATS) {
      expect(normalize(gets[format].ours, 'ours'), `get(), ${format} registry`).toStrictEqual(normalize(gets[format].theirs, 'theirs'));
    }
    return gets;
  }
}

interface MetricJsonValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
  [key: string]: unknown;
}

export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: MetricJsonValue[];
  [key: string]: unknown;
}
