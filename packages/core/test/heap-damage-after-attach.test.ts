// A heap damaged while processes have it open and cached (another process's bug, a stray write) must never hang,
// crash or exhaust a process that goes on using it: each write or scrape ends quickly, with a coded error or with
// the damaged series left out (MPM_WARN_DAMAGED_SERIES), and what is undamaged stays exact. Each scenario runs in a
// child (fixtures/damage-probe.mjs), so a hang or a crash is seen as one, not as a stuck test run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from './fixtures/lifetime-processes.js';

const PROBE = fixture('damage-probe.mjs');
/** Far above what any scenario takes (well under a second each); the old code hung or crashed instead. */
const LIMIT_MS = 60_000;

interface Step {
  ok: boolean;
  value?: unknown;
  code?: string;
  name?: string;
  message?: string;
  ms: number;
}
type Probe = Record<string, Step> & { warnings: string[]; segments: number };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function probe(scenario: string): Probe {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-damage-'));
  fs.chmodSync(dir, 0o700);
  dirs.push(dir);
  const run = spawnSync(process.execPath, [PROBE, scenario, dir], { encoding: 'utf8', timeout: LIMIT_MS, env: { ...process.env, MPMETRICS_DIR: dir } });
  const said = `status ${run.status}, signal ${run.signal}, stderr: ${run.stderr.slice(0, 2000)}`;
  expect(run.signal, said).toBeNull();
  expect(run.status, said).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Probe;
}

describe('a heap damaged after attach', () => {
  it('a cell list that loops stops a second writer with MPM_ERR_HEAP_CORRUPT, and a scrape leaves only that series out', () => {
    const result = probe('cell-loop');
    expect(result.write).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
    expect(result.scrape).toMatchObject({ ok: true, value: ['probe_loop{l="b"} 3'] });
    expect(result.warnings).toContain('MPM_WARN_DAMAGED_SERIES');
  });

  it("a series record's value count made huge after a scrape is not trusted: values come from the declared layout", () => {
    const result = probe('value-words');
    expect(result.first).toMatchObject({ ok: true, value: ['probe_words{l="a"} 5'] });
    expect(result.scrape).toMatchObject({ ok: true, value: ['probe_words{l="a"} 5'] });
    expect(result.write).toMatchObject({ ok: true });
    expect(result.again).toMatchObject({ ok: true, value: ['probe_words{l="a"} 6'] });
    expect(result.scrape!.ms).toBeLessThan(LIMIT_MS / 4);
  });

  it('a directory node that holds itself is refused at once, however large the heap', () => {
    const result = probe('root-loop');
    expect(result.segments).toBeGreaterThan(40);
    expect(result.scrape).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
    expect(result.write).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
    // refused at the root, not after walking the tens of megabytes the records could fill
    expect(result.scrape!.ms).toBeLessThan(2000);
  });

  it('a chain of two leaves that link to each other is caught as a loop; a name elsewhere in the directory is unaffected', () => {
    const result = probe('chain-loop');
    expect(result.first).toMatchObject({ ok: true, value: 2 });
    expect(result.scrape).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
    expect(result.declare).toMatchObject({ ok: true });
    expect(result.scrape!.ms).toBeLessThan(2000);
  });

  it("a series record's exemplar slot count made huge after a scrape leaves that series out; its writers and the others go on", () => {
    const result = probe('exemplar-slots');
    const samples = (step: Step | undefined): unknown => (step!.value as string[]).filter((line) => line.startsWith('probe_ex_total'));
    const at = '\\d+\\.\\d+'; // the exemplar's timestamp
    expect(result.first).toMatchObject({ ok: true });
    expect(samples(result.first)).toEqual([
      expect.stringMatching(new RegExp(`^probe_ex_total\\{l="a"\\} 2 # \\{trace_id="aa"\\} 2 ${at}$`)),
      expect.stringMatching(new RegExp(`^probe_ex_total\\{l="b"\\} 3 # \\{trace_id="bb"\\} 3 ${at}$`)),
    ]);
    expect(result.scrape).toMatchObject({ ok: true });
    expect(samples(result.scrape)).toEqual([expect.stringMatching(new RegExp(`^probe_ex_total\\{l="b"\\} 3 # \\{trace_id="bb"\\} 3 ${at}$`))]);
    expect(result.warnings).toContain('MPM_WARN_DAMAGED_SERIES');
    expect(result.write).toMatchObject({ ok: true });
    expect(samples(result.again)).toEqual([expect.stringMatching(new RegExp(`^probe_ex_total\\{l="b"\\} 4 # \\{trace_id="cc"\\} 1 ${at}$`))]);
  });

  it('a series of a family with a TTL whose record sizes disagree is never retired nor freed; the rest expire and are reused', () => {
    const result = probe('retire-sizes');
    expect(result.sweep).toMatchObject({ ok: true });
    expect(result.damagedKept).toBe(true);
    expect(result.scrape).toMatchObject({ ok: true, value: ['probe_sizes{l="c"} 5'] });
    expect(result.warnings).toContain('MPM_WARN_DAMAGED_SERIES');
  });

  it("a series record's shared word count damaged after a scrape: remove and reset refuse it, and zero nothing of its neighbours", () => {
    const result = probe('shared-words');
    const lines = ['probe_shared{l="a"} 1', 'probe_shared{l="b"} 2', 'probe_shared{l="c"} 3', 'probe_shared_other{l="x"} 5'];
    expect(result.first).toMatchObject({ ok: true, value: lines });
    expect(result.remove).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
    expect(result.reset).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
    expect(result.scrape).toMatchObject({ ok: true, value: lines });
  });

  it("a sweep that fails on damage fails alone: the heap's maintenance timer warns once and the process lives on", () => {
    const result = probe('timer-sweep');
    expect(result.sweep).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
    expect(result.warnings).toEqual(['MPM_ERR_HEAP_CORRUPT']);
  });

  it('a directory node that holds itself in a family with a TTL does not overflow the sweep', () => {
    const result = probe('root-loop-sweep');
    expect(result.sweep).toMatchObject({ ok: true });
    expect(result.scrape).toMatchObject({ ok: false, code: 'MPM_ERR_HEAP_CORRUPT' });
  });
});
