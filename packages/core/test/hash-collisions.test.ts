// Two family names whose directory hashes are equal share a chain in one leaf slot. A walk of that chain visits
// each family's series, which walks further lists: each walk must keep its own place. A shared one was restarted
// by the walk nested in it and called the chain a loop, so a process adopting a lane (which closes the updates its
// lane's last owner left open, walking every series) failed with MPM_ERR_HEAP_CORRUPT on a sound heap.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKey, hashKey } from '../src/heap/key-bytes.js';
import { fixture } from './fixtures/lifetime-processes.js';

const WRITER = fixture('collision-writer.mjs');
/** Two counter names with one FNV-1a hash, found by search. */
const NAMES = ['app_requests_1unw_total', 'app_requests_ywba_total'];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function write(dir: string): Record<string, number> {
  const run = spawnSync(process.execPath, [WRITER, ...NAMES], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MPMETRICS_DIR: dir } });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Record<string, number>;
}

describe('family names with the same directory hash', () => {
  it('really collide', () => {
    expect(hashKey(encodeKey(NAMES[0]!))).toBe(hashKey(encodeKey(NAMES[1]!)));
  });

  it('a process that adopts the lane of one that wrote both goes on counting both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-collide-'));
    fs.chmodSync(dir, 0o700);
    dirs.push(dir);
    expect(write(dir)).toEqual({ [NAMES[0]!]: 1, [NAMES[1]!]: 1 });
    // the first writer has exited: the second takes its lane (lane 0), so it adopts it
    expect(write(dir)).toEqual({ [NAMES[0]!]: 2, [NAMES[1]!]: 2 });
    expect(write(dir)).toEqual({ [NAMES[0]!]: 3, [NAMES[1]!]: 3 });
  });
});
