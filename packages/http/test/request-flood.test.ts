// A flood of new routes, methods and status codes past the duration histogram's `maxSeries` must cost the process
// nothing it keeps: RequestMetrics' child cache links a child only once it exists (before, each refused request
// left a Map per new method and per new route, and the process grew by tens of MiB while the heap stayed flat).
// Measured in a real process after a full GC; the requests recorded before keep their values.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SERIES, Heap, HeapExporter } from '@mpmetrics/core';

const FLOODER = new URL('./fixtures/request-flood.mjs', import.meta.url).pathname;
const REFUSALS = 50_000;
const MiB = 1024 * 1024;

let dir: string;
let heap: Heap;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-http-flood-'));
  fs.chmodSync(dir, 0o700);
  heap = Heap.open({ dir });
});
afterAll(() => {
  heap.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Flooded {
  before: number;
  after: number;
  warnings: string[];
  inFlight: number;
}

describe(`${REFUSALS} requests refused past maxSeries ${DEFAULT_MAX_SERIES}`, () => {
  for (const mode of ['cached', 'extra'] as const) {
    const what = mode === 'cached' ? 'method, route and status' : 'with an extra label';
    it(`${what}: the JS heap stays flat, one coded warning, and the recorded requests keep their values`, async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', FLOODER, mode, String(REFUSALS)], {
        env: { ...process.env, MPMETRICS_DIR: dir },
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      const report = JSON.parse(stdout.split('\n').find((line) => line.startsWith('{'))!) as Flooded;

      // a leak grows with the refusals (a few hundred bytes each), GC noise stays within a few hundred KiB
      expect(report.after - report.before, 'JS heap growth after a full GC').toBeLessThan(8 * MiB);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toContain(`has reached its limit of ${DEFAULT_MAX_SERIES} label sets ("maxSeries")`);
      expect(report.inFlight).toBe(0);

      const name = `${mode}_http_request_duration_seconds`;
      expect(heap.seriesCount(heap.findFamily(name)!.ptr)).toBe(DEFAULT_MAX_SERIES);
      const text = await new HeapExporter(heap).metrics();
      const labels = (route: string): string => `method="GET",route="${route}",status_code="200"${mode === 'extra' ? ',tenant="acme"' : ''}`;
      const counts = text.split('\n').filter((line) => line.startsWith(`${name}_count{`));
      expect(counts).toHaveLength(DEFAULT_MAX_SERIES);
      expect(counts).toContain(`${name}_count{${labels('/kept/0')}} 2`);
      for (const i of [1, 5000, DEFAULT_MAX_SERIES - 1]) expect(counts).toContain(`${name}_count{${labels(`/kept/${i}`)}} 1`);
      expect(text).not.toContain('/flood/');
    }, 90_000);
  }

  it('an extra label function failing each time with a new message: warnings stay few and the JS heap flat', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', FLOODER, 'throwing', String(REFUSALS)], {
      env: { ...process.env, MPMETRICS_DIR: dir },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    const report = JSON.parse(stdout.split('\n').find((line) => line.startsWith('{'))!) as Flooded;
    expect(report.after - report.before, 'JS heap growth after a full GC').toBeLessThan(8 * MiB);
    // each kind of failure is warned about once, and kinds told apart by message are capped
    expect(report.warnings.length).toBeGreaterThan(1);
    expect(report.warnings.length).toBeLessThanOrEqual(65);
    expect(report.warnings[0]).toContain('no tenant for /flood/');
    expect(report.inFlight).toBe(0);
  }, 90_000);
});
