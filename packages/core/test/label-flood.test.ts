// A label flood past `maxSeries` must cost the process nothing it keeps: a refused label set is dropped whole, so
// the per-process label tree does not grow (before, each refusal left one Map per label level but the last, and
// the process grew by tens of MiB while the heap file stayed flat). Measured in a real process after a full GC.
import { describe, expect, it } from 'vitest';
import { HeapExporter } from '../src/index.js';
import { fixture } from './fixtures/lifetime-processes.js';
import { usePrivateHeap } from './support/private-heap.js';
import { startNode, succeed, type Event } from './support/process-group.js';

const FLOODER = fixture('label-flood.mjs');
const MAX_SERIES = 1000;
const REFUSALS = 100_000;
const MiB = 1024 * 1024;
const shared = usePrivateHeap('mpm-label-flood');

interface Flooded extends Event {
  before: number;
  after: number;
  fileBefore: number;
  fileAfter: number;
  refused: number;
  recorded: number;
  codes: string[];
  keptOk: boolean;
}

describe(`${REFUSALS} refused label sets past maxSeries ${MAX_SERIES}`, () => {
  for (const kind of ['counter', 'histogram'] as const) {
    for (const labels of [1, 2, 5]) {
      it(`${kind} with ${labels} label${labels === 1 ? '' : 's'}: the JS heap and the heap file stay flat, and the recorded series keep their values`, async () => {
        const child = startNode(`${kind} ${labels}`, '--expose-gc', [FLOODER, kind, String(labels), String(MAX_SERIES), String(REFUSALS)], {
          ...process.env,
          MPMETRICS_DIR: shared.dir,
        });
        await succeed(child, 60_000);
        const report = child.events.find((e) => e.event === 'flooded') as Flooded;

        expect(report.recorded).toBe(0);
        expect(report.refused).toBe(REFUSALS + 1000);
        expect(report.codes).toEqual(['RangeError:MPM_ERR_TOO_MANY_SERIES']);
        expect(report.keptOk).toBe(true);
        // a leak grows with the refusals (a few hundred bytes each), GC noise stays within a few hundred KiB
        expect(report.after - report.before, 'JS heap growth after a full GC').toBeLessThan(8 * MiB);
        expect(report.fileAfter).toBe(report.fileBefore);

        // nothing recorded is lost: every label set keeps its value (i + 1, and the first one a second update)
        const name = kind === 'counter' ? `mpmc_flood_counter_${labels}_total` : `mpmc_flood_histogram_${labels}_seconds`;
        const family = shared.heap.findFamily(name)!;
        expect(shared.heap.seriesCount(family.ptr)).toBe(MAX_SERIES);
        const text = await new HeapExporter(shared.heap).metrics();
        const labelsOf = (value: string): string => Array.from({ length: labels }, (_, j) => `l${j}="${value}"`).join(',');
        const sample = kind === 'counter' ? name : `${name}_sum`;
        const lines = text.split('\n').filter((line) => line.startsWith(`${sample}{`));
        expect(lines).toHaveLength(MAX_SERIES);
        expect(lines).toContain(`${sample}{${labelsOf('kept-0')}} 2`);
        for (const i of [1, 499, MAX_SERIES - 1]) expect(lines).toContain(`${sample}{${labelsOf(`kept-${i}`)}} ${i + 1}`);
        expect(text).not.toContain('flood-');
        if (kind === 'histogram') expect(text).toContain(`${name}_count{${labelsOf('kept-0')}} 2\n`);
      }, 90_000);
    }
  }
});
