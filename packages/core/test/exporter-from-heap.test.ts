// HeapExporter writes its exposition straight from the heap, each series as it is read and with its label text kept
// per series record between scrapes. That must give byte for byte what the snapshot writer gives for the exporter's
// own snapshot(), whose output the golden test pins: for every metric type, in both formats, through resets,
// removals, new label sets and records reused for other label sets after they expired. Real heap, no mocks.
import { describe, expect, it, vi } from 'vitest';
import { Counter, Enum, Gauge, HeapExporter, Histogram, Info, Summary, writeExposition } from '../src/index.js';
import { H } from '../src/heap/layout.js';
import { usePrivateHeap } from './support/private-heap.js';

const shared = usePrivateHeap('mpm-from-heap');
const common = (): { heap: (typeof shared)['heap']; registers: [] } => ({ heap: shared.heap, registers: [] });

/**
 * Every way the exporter writes, against the snapshot writer over its own snapshot, in both formats; and that
 * snapshot against a new exporter's, which keeps nothing from earlier scrapes (no label text, no read order).
 */
async function expectSameAsSnapshot(exporter: HeapExporter): Promise<string> {
  let text = '';
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const expected = writeExposition(await exporter.snapshot(), format);
    expect(writeExposition(await new HeapExporter(shared.heap).snapshot(), format)).toBe(expected);
    expect(await exporter.metrics(format)).toBe(expected);
    expect((await exporter.metricsBytes(format)).equals(Buffer.from(expected))).toBe(true);
    const lease = await exporter.leaseMetricsBytes(format);
    expect(lease.bytes.equals(Buffer.from(expected))).toBe(true);
    lease.release();
    if (format === 'prometheus') text = expected;
  }
  return text;
}

describe('HeapExporter writing straight from the heap', () => {
  it('writes what the snapshot writer writes, for every type, across scrapes that change the series', async () => {
    const counter = new Counter({ name: 'mpmh_requests_total', help: 'Requests "quoted" \\ and\nnewline', labelNames: ['route', 'code'], enableExemplars: true, ...common() });
    const plain = new Counter({ name: 'mpmh_plain_total', help: 'No labels', ...common() });
    const gauge = new Gauge({ name: 'mpmh_queue', help: 'h', labelNames: ['queue'], ...common() });
    const perPid = new Gauge({ name: 'mpmh_workers', help: 'h', labelNames: ['pool'], multiprocessMode: 'all', ...common() });
    const summed = new Gauge({ name: 'mpmh_summed', help: 'h', labelNames: ['pool'], multiprocessMode: 'livesum', ...common() });
    const histogram = new Histogram({ name: 'mpmh_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 1, 10], enableExemplars: true, ...common() });
    const signed = new Histogram({ name: 'mpmh_signed', help: 'h', buckets: [-1, 0, 1], ...common() });
    const summary = new Summary({ name: 'mpmh_size', help: 'h', labelNames: ['route'], percentiles: [0.5, 0.99], ...common() });
    const info = new Info({ name: 'mpmh_build', help: 'h', labelNames: ['shard'], ...common() });
    const state = new Enum({ name: 'mpmh_phase', help: 'h', labelNames: ['job'], states: ['idle', 'busy'], ...common() });
    const exporter = new HeapExporter(shared.heap);

    counter.inc({ route: '/a', code: '200' }, 1);
    counter.inc({ labels: { route: 'é "x" \\ \n', code: '500' }, value: 2, exemplarLabels: { trace_id: 'abc' } });
    counter.inc({ route: '/partial' }, 1); // a label left out is not written
    plain.inc(4);
    gauge.set({ queue: 'q1' }, -2.5);
    gauge.set({ queue: 'q2' }, 1e-7);
    perPid.set({ pool: 'p' }, 3);
    summed.set({ pool: 'p' }, 7);
    histogram.observe({ labels: { route: '/a' }, value: 0.5, exemplarLabels: { trace_id: 't' } });
    histogram.observe({ route: '/b' }, 1e21);
    signed.observe(-3);
    signed.observe(0.5);
    summary.observe({ route: '/a' }, 12);
    summary.observe({ route: '/b' }, 0.25);
    info.info({ shard: 's1' }, { version: '1.2.3', commit: 'abc' });
    state.state({ job: 'j' }, 'busy');
    const first = await expectSameAsSnapshot(exporter);
    expect(first).toContain('mpmh_requests_total{route="/partial"} 1\n');

    // a reset and a removal change a record's generation; a removed label set written again comes back
    counter.labels('/a', '200').inc(5);
    counter.reset();
    counter.inc({ route: '/a', code: '200' }, 9);
    histogram.remove('/b');
    gauge.remove('q1');
    gauge.set({ queue: 'q3' }, 1);
    summary.reset();
    state.state({ job: 'j' }, 'idle');
    state.state({ job: 'k' }, 'busy');
    info.info({ shard: 's2' }, { version: '2' });
    const second = await expectSameAsSnapshot(exporter);
    expect(second).toContain('mpmh_requests_total{route="/a",code="200"} 9\n');
    expect(second).not.toContain('mpmh_seconds_count{route="/b"}');
    expect(second).not.toContain('queue="q1"');

    gauge.set({ queue: 'q1' }, 8);
    histogram.observe({ route: '/b' }, 0.01);
    const third = await expectSameAsSnapshot(exporter);
    expect(third).toContain('mpmh_queue{queue="q1"} 8\n');
    expect(third).toContain('mpmh_seconds_count{route="/b"} 1\n');
    // creation order, as prom-client lists series (a label set written again after remove() keeps its record)
    expect(third.indexOf('queue="q2"')).toBeLessThan(third.indexOf('queue="q3"'));
  });

  it('shows a record reused for another label set after its series expired with its new labels', async () => {
    // one exporter for the whole churn, so that its label text kept per record would show if it outlived the record
    const exporter = new HeapExporter(shared.heap);
    const churned = new Counter({ name: 'mpmh_churn_total', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: Infinity, ...common() });
    const file = shared.heap.file;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 50; i++) churned.inc({ id: `${round}-${i}` });
        const text = await expectSameAsSnapshot(exporter);
        const shown = text.split('\n').filter((line) => line.startsWith('mpmh_churn_total{'));
        expect(shown.length).toBeGreaterThanOrEqual(50);
        for (const line of shown) expect(line).toMatch(/^mpmh_churn_total\{id="\d+-\d+"\} 1$/);
        // and no expired one: older than the last round, each was idle past its TTL at the last sweep
        // and no expired one: a series idle past its TTL is retired within two sweeps, a round apart
        for (const line of shown) expect(Number(/id="(\d+)-/.exec(line)![1])).toBeGreaterThanOrEqual(round - 2);
        // this round's label sets are all there, whichever records they took
        for (let i = 0; i < 50; i++) expect(shown).toContain(`mpmh_churn_total{id="${round}-${i}"} 1`);
        vi.setSystemTime(Date.now() + 120);
        new Float64Array(file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1)[H.NEXT_SWEEP_F64] = 0; // a sweep is due now
        shared.heap.maintain();
      }
    } finally {
      vi.useRealTimers();
    }
    // records were reused: the family never held more than a few rounds' series at once
    expect(shared.heap.seriesCount(shared.heap.findFamily('mpmh_churn_total')!.ptr)).toBeLessThanOrEqual(150);
  });

  it('shows a one-series family whose record is reused, its walk unchanged, with its new labels', async () => {
    // the walk finds the same record each round, so the read order is kept: only the record's generation says
    // that its labels changed
    const exporter = new HeapExporter(shared.heap);
    const single = new Counter({ name: 'mpmh_single_total', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: Infinity, ...common() });
    const file = shared.heap.file;
    const sweep = (): void => {
      vi.setSystemTime(Date.now() + 300);
      new Float64Array(file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1)[H.NEXT_SWEEP_F64] = 0; // a sweep is due now
      shared.heap.maintain();
    };
    const records = new Set<number>();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      for (let round = 0; round < 6; round++) {
        single.inc({ id: `r${round}` });
        shared.heap.forEachSeries(shared.heap.findFamily('mpmh_single_total')!.ptr, (ptr, live) => live && records.add(ptr));
        const text = await expectSameAsSnapshot(exporter);
        expect(text.split('\n').filter((line) => line.startsWith('mpmh_single_total{'))).toEqual([`mpmh_single_total{id="r${round}"} 1`]);
        sweep(); // retires it
        sweep(); // frees its record for the next label set
      }
    } finally {
      vi.useRealTimers();
    }
    expect(records.size).toBe(1); // one record, reused every round
  });

  it('hands out frozen metadata in snapshots: one object per family record, kept across scrapes', async () => {
    new Histogram({ name: 'mpmh_frozen_seconds', help: 'h', labelNames: ['route'], buckets: [1, 2], ...common() }).observe({ route: '/' }, 1);
    const exporter = new HeapExporter(shared.heap);
    const meta = (await exporter.snapshot()).find((family) => family.name === 'mpmh_frozen_seconds')!.meta;
    expect(Object.isFrozen(meta) && Object.isFrozen(meta.labelNames) && Object.isFrozen(meta.buckets)).toBe(true);
    expect(() => ((meta as { help: string }).help = 'changed')).toThrow(TypeError);
    expect(await exporter.metrics()).toContain('# HELP mpmh_frozen_seconds h\n');
  });
});
