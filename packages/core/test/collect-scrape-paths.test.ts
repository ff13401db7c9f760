// collect() runs on every scrape path, side by side with prom-client's `register.metrics()`: a gauge whose
// collect sets 1, 2, 3 on successive scrapes reads 1, 2, 3 through a registry (ours and prom-client's) and through
// HeapExporter; an async collect is awaited; a collect that throws rejects the scrape with its error, as
// prom-client's registry does; each collect runs once per scrape; after register.clear(), only the latest
// declaration of a name runs. (The integrations' /metrics are tested in their packages, tooling/http-test.)
import { Gauge as PromGauge, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { Gauge, HeapExporter, isMpmetricsMetric, Counter, Histogram, Summary, Info, Enum } from '../src/index.js';
import { privateHeap, uniqueName } from './helpers/parity.js';

const own = privateHeap('mpm-collect-');
const heap = own.heap;
afterAll(() => own.close());
const exporter = new HeapExporter(heap);

/** The value of an unlabeled sample `name` in an exposition. */
function valueOf(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** A gauge's config whose collect sets 1, 2, 3… on successive calls, counting its calls. */
function counting(name: string, async = false): { calls: () => number; config: { name: string; help: string; collect(this: { set(v: number): void }): void | Promise<void> } } {
  let n = 0;
  return {
    calls: () => n,
    config: {
      name,
      help: 'Set at scrape time',
      collect(this: { set(v: number): void }) {
        n++;
        const v = n;
        if (!async) return this.set(v);
        return new Promise<void>((resolve) => setTimeout(() => (this.set(v), resolve()), 5));
      },
    },
  };
}

describe('collect() on every scrape path', () => {
  for (const async of [false, true]) {
    it(`${async ? 'an async' : 'a'} collect sets 1, 2, 3 through register.metrics() (both libraries) and HeapExporter`, async () => {
      const name = uniqueName(async ? 'mpmq_async_depth' : 'mpmq_depth');
      const theirs = counting(name, async);
      const theirRegistry = new Registry();
      new PromGauge({ ...theirs.config, registers: [theirRegistry] } as never);
      const ours = counting(name, async);
      const ourRegistry = new Registry();
      new Gauge({ ...ours.config, registers: [ourRegistry], heap });
      for (const expected of [1, 2, 3]) {
        expect(valueOf(await theirRegistry.metrics(), name)).toBe(expected);
        expect(valueOf(await ourRegistry.metrics(), name)).toBe(expected);
      }
      // HeapExporter goes on from there: one more call per scrape, awaited before the read
      for (const expected of [4, 5, 6]) expect(valueOf(await exporter.metrics(), name)).toBe(expected);
      expect(ours.calls()).toBe(6);
      expect(valueOf(writeOf(await exporter.snapshot(), name), name)).toBe(7);
      expect((await exporter.respond(undefined)).body).toContain(`\n${name} 8\n`);
      expect(ours.calls()).toBe(8);
    });
  }

  it('a collect that throws (or rejects) rejects the scrape with its error, as prom-client’s registry does', async () => {
    for (const rejects of [false, true]) {
      const name = uniqueName('mpmq_broken');
      const boom = new Error(`collect failed (${rejects ? 'rejected' : 'thrown'})`);
      const collect = rejects ? () => Promise.reject(boom) : () => {
        throw boom;
      };
      const theirRegistry = new Registry();
      new PromGauge({ name, help: 'h', collect, registers: [theirRegistry] });
      const ourRegistry = new Registry();
      const ours = new Gauge({ name, help: 'h', collect, registers: [ourRegistry], heap });
      await expect(theirRegistry.metrics()).rejects.toBe(boom);
      await expect(ourRegistry.metrics()).rejects.toBe(boom);
      await expect(exporter.metrics()).rejects.toBe(boom);
      await expect(exporter.respond('application/openmetrics-text')).rejects.toBe(boom);
      // declared again without a collect (after register.clear()), the broken one no longer runs
      ourRegistry.clear();
      new Gauge({ name, help: 'h', registers: [ourRegistry], heap });
      await expect(exporter.metrics()).resolves.toContain(`\n${name} 0\n`);
      void ours;
    }
  });

  it('after register.clear(), only the latest declaration of a name collects; other heaps are not collected', async () => {
    const name = uniqueName('mpmq_redeclared');
    const registry = new Registry();
    const first = counting(name);
    new Gauge({ ...first.config, registers: [registry], heap });
    await exporter.metrics();
    expect(first.calls()).toBe(1);
    registry.clear();
    const second = counting(name);
    new Gauge({ ...second.config, registers: [registry], heap });
    expect(valueOf(await exporter.metrics(), name)).toBe(1);
    expect(valueOf(await registry.metrics(), name)).toBe(2);
    expect([first.calls(), second.calls()]).toEqual([1, 2]);
    // a heap of its own: its exporter runs only its own metrics' collects
    const other = privateHeap('mpm-collect-other-');
    try {
      await new HeapExporter(other.heap).metrics();
      expect([first.calls(), second.calls()]).toEqual([1, 2]);
    } finally {
      other.close();
    }
  });

  it('every type is recognised as ours by one brand (Info and Enum included); prom-client’s are not', () => {
    const common = { help: 'h', registers: [], heap };
    const ours = [
      new Counter({ name: uniqueName('mpmq_c_total'), ...common }),
      new Gauge({ name: uniqueName('mpmq_g'), ...common }),
      new Histogram({ name: uniqueName('mpmq_h'), ...common }),
      new Summary({ name: uniqueName('mpmq_s'), ...common }),
      new Info({ name: uniqueName('mpmq_i'), ...common }),
      new Enum({ name: uniqueName('mpmq_e'), states: ['a'], ...common }),
    ];
    for (const metric of ours) expect(isMpmetricsMetric(metric), metric.constructor.name).toBe(true);
    expect(isMpmetricsMetric(new PromGauge({ name: uniqueName('mpmq_theirs'), help: 'h', registers: [] }))).toBe(false);
    for (const value of [null, undefined, 1, 'x', {}, { [Symbol.for('mpmetrics.metric')]: 'yes' }]) expect(isMpmetricsMetric(value)).toBe(false);
  });
});

describe('two copies of the package in one process (a second module instance of the build)', () => {
  it('the brand holds across copies where instanceof does not; each copy runs the collects declared through it', async () => {
    const copy = (await import(/* @vite-ignore */ new URL('../dist/index.js?second-copy', import.meta.url).href)) as typeof import('../src/index.js');
    expect(copy.Gauge).not.toBe(Gauge);
    const name = uniqueName('mpmq_copy');
    const theirs = counting(name);
    const metric = new copy.Gauge({ ...theirs.config, registers: [], heap });
    expect(metric instanceof Gauge).toBe(false);
    expect(isMpmetricsMetric(metric)).toBe(true);
    expect(copy.isMpmetricsMetric(new Gauge({ name: uniqueName('mpmq_here'), help: 'h', registers: [], heap }))).toBe(true);
    // collect functions belong to the code that declared them: this copy's exporter leaves that one alone
    await exporter.metrics();
    expect(theirs.calls()).toBe(0);
    expect(valueOf(await new copy.HeapExporter(heap).metrics(), name)).toBe(1);
  });
});

function writeOf(families: Awaited<ReturnType<HeapExporter['snapshot']>>, name: string): string {
  const family = families.find((f) => f.name === name)!;
  return `${name} ${family.series[0]!.values[0]}\n`;
}
