// Processes die at the worst moments: SIGKILLed while creating series (and growing the file), while applying
// group updates in a hot loop, or while stopped in the middle of one. Nobody else may block on them: survivors
// keep creating, writing and reading within a bounded time and their counts stay exact; readers of a dead
// writer's cell return promptly; and a process started afterwards takes over the dead writer's lane with its
// cells, which keep counting from where they were, so no total ever goes down.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Heap, type SeriesRecord } from '../src/index.js';
import { ownTime } from './support/own-time.js';
import { sleep, startNode, succeed, type Child } from './support/process-group.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const CREATOR = fixture('kill-creator.mjs');
const WRITER = fixture('kill-writer.mjs');
const STUCK = fixture('kill-stuck.mjs');
const SURVIVOR = fixture('kill-survivor.mjs');
const ADOPTER = fixture('kill-adopter.mjs');

// The control words of kill-common.mjs.
const CONTROL = { family: 'mpm_control', key: 'kill', layout: { valueWords: 0, sharedWords: 4 } };
const KILLED = 0;
const RELEASE = 1;

/** What "promptly" means for a read that must not wait on anyone (generous: the machine may be loaded). */
const PROMPT_MS = 500;
/** How long survivors may take for their work after the kill. */
const SURVIVOR_LIMIT_MS = 10_000;

/** SIGKILLs a child (it alone: the fixtures start nothing) and waits until it is gone. */
async function killNow(child: Child): Promise<void> {
  child.proc.kill('SIGKILL');
  const exit = await child.finish(5000);
  expect(exit.signal).toBe('SIGKILL');
}


function withHeap(options: { segmentSize?: number; maxLanes?: number }, body: (heap: Heap, env: NodeJS.ProcessEnv) => Promise<void>) {
  return async (): Promise<void> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-kill-'));
    fs.chmodSync(dir, 0o700);
    const heap = Heap.open({ dir, ...options });
    try {
      await body(heap, { ...process.env, MPMETRICS_DIR: dir });
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

function seriesByKey(heap: Heap, familyName: string): Map<string, SeriesRecord> {
  const family = heap.findFamily(familyName);
  if (!family) throw new Error(`no family ${familyName}`);
  return new Map(heap.seriesOf(family.ptr).map((s) => [s.key, s]));
}

function only(heap: Heap, familyName: string, key: string): SeriesRecord {
  const series = seriesByKey(heap, familyName).get(key);
  if (!series) throw new Error(`no series ${familyName}/${key}`);
  return series;
}

/** Reads a series, and how long that took (time spent waiting for a CPU left out: the machine may be loaded). */
function timedRead(heap: Heap, series: SeriesRecord): { values: number[]; ms: number } {
  const { result, ms } = ownTime(() => Array.from(heap.read(series.ptr, new Float64Array(series.valueWords))));
  return { values: result, ms };
}

interface SurvivorReport {
  id: number;
  lane: number;
  count: number;
  before: number;
  afterKillMs: number;
  maxReadMs: number;
  creatorSeries: number;
}

describe('processes killed at the worst moments block nobody', () => {
  it(
    'SIGKILLed while creating series and while writing: survivors finish exact, readers return promptly, newcomers take over the dead lanes',
    withHeap({ segmentSize: 64 * 1024, maxLanes: 64 }, async (heap, env) => {
      const control = heap.shared(heap.series(heap.family(CONTROL.family, '{}').ptr, CONTROL.key, CONTROL.layout).ptr);

      // The victims start one at a time, so lanes go in order: the writer 0, the creator 1; the survivors get 2, 3.
      const writer = startNode('writer (victim)', WRITER, [], env);
      const writerLane = (await writer.waitFor('ready', 15_000)).lane as number;
      const creator = startNode('creator (victim)', CREATOR, [], env);
      const creatorLane = (await creator.waitFor('ready', 15_000)).lane as number;
      const survivors = [1, 2].map((id) => startNode(`survivor ${id}`, SURVIVOR, [String(id), '2000'], env));
      const survivorLanes: number[] = [];
      for (const survivor of survivors) survivorLanes.push((await survivor.waitFor('ready', 15_000)).lane as number);
      expect([writerLane, creatorLane, ...survivorLanes.sort()]).toEqual([0, 1, 2, 3]);

      // Everyone is at work; kill the victims mid-stride.
      await Promise.all([writer.waitFor('busy', 15_000), creator.waitFor('busy', 15_000)]);
      await sleep(300);
      await killNow(writer);
      await killNow(creator);
      const segmentsAtKill = heap.segmentCount;

      // A reader of the dead writer's cell returns promptly, with its last update whole or partly applied (values
      // are updated in order, so a partial update shows as a step down of exactly one), never anything else.
      const victim = only(heap, 'mpm_kill_b', 'victim');
      const atDeath = timedRead(heap, victim);
      expect(atDeath.ms).toBeLessThan(PROMPT_MS);
      const top = atDeath.values[0]!;
      expect(top).toBeGreaterThan(100_000);
      for (let i = 1; i < atDeath.values.length; i++) {
        expect(atDeath.values[i]).toBeLessThanOrEqual(atDeath.values[i - 1]!);
        expect(atDeath.values[i]).toBeGreaterThanOrEqual(top - 1);
      }

      // Survivors do their remaining work, reading the dead writer's series every round: bounded time.
      control.addInt(KILLED, 1n);
      const released = Date.now();
      const reports: SurvivorReport[] = [];
      for (const survivor of survivors) {
        await succeed(survivor, SURVIVOR_LIMIT_MS);
        reports.push(survivor.events.find((e) => e.event === 'done') as unknown as SurvivorReport);
      }
      expect(Date.now() - released).toBeLessThan(SURVIVOR_LIMIT_MS);
      for (const report of reports) {
        expect(report.count - report.before).toBe(2000);
        expect(report.afterKillMs).toBeLessThan(SURVIVOR_LIMIT_MS);
        expect(report.maxReadMs).toBeLessThan(PROMPT_MS);
      }

      // The survivors' counts are exact: the common series, its shared word, and every series each one created.
      const total = reports[0]!.count + reports[1]!.count;
      const common = only(heap, 'mpm_kill_common', 'survivors');
      expect(timedRead(heap, common).values).toEqual([total, reports[0]!.count * 1 + reports[1]!.count * 2]);
      expect(heap.shared(common.ptr).getInt(0)).toBe(BigInt(total));
      for (const report of reports) {
        const own = seriesByKey(heap, `mpm_kill_s${report.id}`);
        expect(own.size).toBe(report.count);
        for (let n = 0; n < report.count; n++) {
          const values = heap.read(own.get(`s${n}`)!.ptr, new Float64Array(2));
          if (values[0] !== 1 || values[1] !== n) expect([`s${n}`, ...values]).toEqual([`s${n}`, 1, n]);
        }
      }

      // The creator's series are all readable: every one it finished counts 1, and its progress counter agrees
      // (it may have died between creating a series, giving it its 1, and counting it).
      const progressSeries = only(heap, 'mpm_kill_progress', 'a');
      const progress = timedRead(heap, progressSeries).values[0]!;
      expect(progress).toBeGreaterThan(2000);
      const created = seriesByKey(heap, 'mpm_kill_a');
      expect([progress, progress + 1]).toContain(created.size);
      let ones = 0;
      const wrong: string[] = [];
      const values = new Float64Array(4);
      for (const [key, series] of created) {
        heap.read(series.ptr, values);
        const n = Number(key.slice(1));
        const ok = n < progress ? values[0] === 1 : values[0] === 0 || values[0] === 1;
        if (!ok || values[1] !== 0 || values[2] !== 0 || values[3] !== 0) wrong.push(`${key}: ${Array.from(values)}`);
        ones += values[0]!;
      }
      expect(wrong.slice(0, 10)).toEqual([]);
      expect([progress, progress + 1]).toContain(ones);
      for (const report of reports) expect(report.creatorSeries).toBeGreaterThanOrEqual(progress);

      // A newcomer takes the lowest free lane (the dead writer's) and, with it, the dead writer's cell: it finds
      // the values the writer left and counts on from there. Totals never went down.
      const newWriter = startNode('newcomer on the writer lane', ADOPTER, ['mpm_kill_b', 'victim', '64', '1000', 'group'], env);
      const adoptedWriter = await newWriter.waitFor('adopted', 15_000);
      expect(adoptedWriter.lane).toBe(writerLane);
      expect(adoptedWriter.found).toEqual(atDeath.values);
      const wroteWriter = await newWriter.waitFor('wrote', 15_000);
      expect(wroteWriter.own).toEqual(atDeath.values.map((v) => v + 1000));
      const afterAdoption = timedRead(heap, victim);
      expect(afterAdoption.ms).toBeLessThan(PROMPT_MS);
      expect(afterAdoption.values).toEqual(atDeath.values.map((v) => v + 1000));

      // A second newcomer (the first still holds lane 0) takes the dead creator's lane and its progress cell.
      const newCreator = startNode('newcomer on the creator lane', ADOPTER, ['mpm_kill_progress', 'a', '1', '1000', 'add'], env);
      const adoptedCreator = await newCreator.waitFor('adopted', 15_000);
      expect(adoptedCreator.lane).toBe(creatorLane);
      expect(adoptedCreator.found).toEqual([progress]);
      await newCreator.waitFor('wrote', 15_000);
      expect(timedRead(heap, progressSeries).values).toEqual([progress + 1000]);

      control.addInt(RELEASE, 1n);
      await Promise.all([succeed(newWriter, 15_000), succeed(newCreator, 15_000)]);
      // The creator grew the file many times while the others worked, and left it whole.
      expect(segmentsAtKill).toBeGreaterThan(10);
      expect(fs.statSync(heap.file.path).size).toBe(heap.segmentCount * 64 * 1024);
    }),
  );

  it(
    'a writer stopped inside a group update delays readers boundedly while alive, not at all once killed; its successor counts on',
    withHeap({ maxLanes: 64 }, async (heap, env) => {
      const stuck = startNode('stuck writer', STUCK, [], env);
      const lane = (await stuck.waitFor('stuck', 15_000)).lane as number;
      const series = only(heap, 'mpm_kill_stuck', 'g');

      // Alive and stuck: the reader waits for it, but within bounds, then takes what it sees.
      const alive = timedRead(heap, series);
      expect(alive.ms).toBeLessThan(5000);
      for (const value of alive.values) expect(value).toBeGreaterThanOrEqual(1000);

      // Killed: nobody waits; the half-applied update is read as it is.
      await killNow(stuck);
      const dead = timedRead(heap, series);
      expect(dead.ms).toBeLessThan(PROMPT_MS);
      expect(dead.values).toEqual([1001, 1001, 1001, 1001, 1000, 1000, 1000, 1000]);

      // The next writer takes the lane and the cell, closes the dead update, and counts on from there.
      const successor = startNode('successor', ADOPTER, ['mpm_kill_stuck', 'g', '8', '10', 'group'], env);
      const adopted = await successor.waitFor('adopted', 15_000);
      expect(adopted.lane).toBe(lane);
      expect(adopted.found).toEqual(dead.values);
      await successor.waitFor('wrote', 15_000);
      const after = timedRead(heap, series);
      expect(after.ms).toBeLessThan(PROMPT_MS);
      expect(after.values).toEqual(dead.values.map((v) => v + 10));
      heap.shared(heap.series(heap.family(CONTROL.family, '{}').ptr, CONTROL.key, CONTROL.layout).ptr).addInt(RELEASE, 1n);
      await succeed(successor, 15_000);
    }),
  );

  // A writer that adopts a dead writer's lane closes every update the dead one left open (cells.ts,
  // closeAbandonedUpdates), in all series, not only those it writes: otherwise the lane is "held" again and every
  // read of the dead writer's series would wait the reader's full patience.
  it(
    'a dead writer\'s half-done update does not slow readers once a newcomer that never writes that series takes its lane',
    withHeap({ maxLanes: 64 }, async (heap, env) => {
      const stuck = startNode('stuck writer', STUCK, [], env);
      const lane = (await stuck.waitFor('stuck', 15_000)).lane as number;
      await killNow(stuck);
      const series = only(heap, 'mpm_kill_stuck', 'g');
      expect(timedRead(heap, series).ms).toBeLessThan(PROMPT_MS);

      const newcomer = startNode('newcomer writing elsewhere', ADOPTER, ['mpm_kill_other', 'x', '1', '1', 'add'], env);
      expect((await newcomer.waitFor('wrote', 15_000)).lane).toBe(lane);
      const read = timedRead(heap, series);
      expect(read.values).toEqual([1001, 1001, 1001, 1001, 1000, 1000, 1000, 1000]);
      expect(read.ms).toBeLessThan(PROMPT_MS);
    }),
  );
});
