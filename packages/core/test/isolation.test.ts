// Nobody else in: another local user can neither read nor change a heap. As root (CI), the test creates a system
// user of its own (useradd; removed at the end) and runs a process as that user against this user's private heap:
// listing the directory, opening the file to read or write, replacing or removing it, and Heap.open by option or
// MPMETRICS_DIR must all be refused, and the heap must be untouched afterwards. Without root no second user can
// be made; the directory and file modes, which are what keep others out, are checked either way.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Heap, HeapExporter } from '../src/index.js';
import { fixture, runChild } from './fixtures/lifetime-processes.js';

const isRoot = process.geteuid?.() === 0;
const USER = 'mpmetrics-intruder';

let dir: string;
let heap: Heap;
let intruderUid = -1;
let intruderGid = -1;
let createdUser = false;

function lookup(user: string): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

beforeAll(() => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-isolation-'));
  fs.chmodSync(parent, 0o755); // others may walk to the heap directory: only its own mode keeps them out
  dir = path.join(parent, 'heap-dir');
  fs.mkdirSync(dir, { mode: 0o700 });
  heap = Heap.open({ dir });
  new Counter({ name: 'isolation_secret_total', help: 'Something only its owner may see', heap, registers: [] }).inc(42);
  if (isRoot) {
    let found = lookup(USER);
    if (found === undefined) {
      execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
      createdUser = true;
      found = lookup(USER);
    }
    intruderUid = found!.uid;
    intruderGid = found!.gid;
  }
});

afterAll(() => {
  heap.close();
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  if (createdUser) execFileSync('userdel', [USER]);
});

describe('another local user', () => {
  it('finds the directory 0700 and the heap file 0600, both owned by this user', () => {
    const d = fs.statSync(dir);
    const f = fs.statSync(path.join(dir, 'heap'));
    expect([d.mode & 0o777, f.mode & 0o777]).toEqual([0o700, 0o600]);
    expect([d.uid, f.uid]).toEqual([process.geteuid!(), process.geteuid!()]);
  });

  it.runIf(isRoot)(`(${USER}, created for the test) cannot list, read, write, replace, remove or open the heap`, async () => {
    const run = await runChild(fixture('intruder.mjs'), [dir], {
      uid: intruderUid,
      gid: intruderGid,
      env: { PATH: process.env.PATH, TMPDIR: os.tmpdir(), HOME: '/' },
    });
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const result = run.json[0] as Record<string, unknown>;
    expect(result.uid).toBe(intruderUid);
    expect(result.list).toBe('EACCES');
    expect(result.read).toBe('EACCES');
    expect(result.write).toBe('EACCES');
    expect(result.replace).toBe('EACCES');
    expect(result.remove).toBe('EACCES');
    expect(result.heapOpen).toMatch(/^MPM_ERR_/);
    expect(result.heapOpenFromEnv).toMatch(/^MPM_ERR_/);
    // and the heap is as it was
    expect(await new HeapExporter(heap).metrics()).toContain('isolation_secret_total 42');
    expect(fs.readdirSync(dir)).toEqual(['heap']);
  });
});
