// How long a heap lives, and who sees it. A process without MPMETRICS_DIR makes a private directory (0700, heap
// file 0600, whatever the umask) when its main thread loads the library, publishes it in MPMETRICS_DIR for its
// children, and removes it when it exits normally. A directory it did not make is never removed. One left by a process that
// was killed is removed by the next process that makes a private heap, unless some process still holds it open.
//
// All the processes here are children started with their own TMPDIR (os.tmpdir() honours it), so they never
// see, clean or disturb the private heaps of other test runs on this machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Heap, isHeapInUse, removeStaleHeaps } from '../src/index.js';
import { childEnv, fixture, isAlive, killChildren, runChild, startChild, waitUntil, type Child } from './fixtures/lifetime-processes.js';

const child = fixture('lifetime-child.mjs');
const PRIVATE_NAME = /^mpmetrics-[A-Za-z0-9]{6}$/;

let base: string;
let count = 0;
const orphans: number[] = [];

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-lifetime-'));
});
afterEach(async () => {
  await killChildren();
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** A process's state letter in /proc (R running, S sleeping, T stopped, …), or '' once it is gone. */
function processState(pid: number): string {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '';
  } catch {
    return '';
  }
}

/** A fresh directory to use as the children's TMPDIR. */
function freshTmp(): string {
  const dir = path.join(base, `tmp${++count}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}

const privateDirs = (tmp: string): string[] => fs.readdirSync(tmp).filter((name) => PRIVATE_NAME.test(name)).map((name) => path.join(tmp, name));

interface Opened {
  event: 'opened';
  pid: number;
  dir: string;
  file: string;
  env: string | null;
  dirMode: number;
  fileMode: number;
  total: number;
}

/** Starts a child that creates a private heap in `tmp` and stays alive (stdin commands) until killed or told. */
async function startCreator(tmp: string, extra: string[] = []): Promise<{ child: Child; opened: Opened }> {
  const c = startChild(child, ['create', '--hold', ...extra], { env: childEnv({ TMPDIR: tmp }) });
  const opened = await c.next<Opened>();
  return { child: c, opened };
}

async function expectCleanExit(c: Child): Promise<void> {
  const exit = await c.exited;
  expect({ ...exit, stderr: c.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
}

describe('a private heap', () => {
  it('is a 0700 directory named mpmetrics-XXXXXX under TMPDIR with a 0600 heap file, even under umask 0', async () => {
    const tmp = freshTmp();
    const run = await runChild(child, ['create', '--umask0'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const opened = run.json[0] as Opened;
    expect(path.dirname(opened.dir)).toBe(tmp);
    expect(path.basename(opened.dir)).toMatch(PRIVATE_NAME);
    expect(opened.dirMode).toBe(0o700);
    expect(opened.fileMode).toBe(0o600);
    expect(opened.file).toBe(path.join(opened.dir, 'heap'));
    expect(opened.env).toBe(opened.dir); // published for children
    // ...and removed when its creator exited normally.
    expect(fs.existsSync(opened.dir)).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a heap file made in a user-given directory under umask 0 is 0600 too', async () => {
    const dir = freshTmp();
    const tmp = freshTmp();
    const run = await runChild(child, ['open', dir, '{}', '--umask0'], { env: childEnv({ TMPDIR: tmp }) });
    expect(run.json[0]).toMatchObject({ ok: true, fileMode: 0o600 });
    expect(fs.statSync(path.join(dir, 'heap')).mode & 0o777).toBe(0o600);
  });

  it('is found through MPMETRICS_DIR by a forked child, a spawned child and a worker thread, which share its families and values', async () => {
    const tmp = freshTmp();
    const run = await runChild(child, ['fork-parent'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const parent = run.json[0] as {
      dir: string;
      env: string;
      ino: number;
      children: { how: string; dir: string; env: string; ino: number; parentMeta: string; seenBefore: number }[];
      families: string[];
      total: number;
      shared: string;
    };
    expect(path.dirname(parent.dir)).toBe(tmp);
    expect(parent.env).toBe(parent.dir);
    expect(parent.children.map((c) => c.how)).toEqual(['fork', 'spawn', 'worker']);
    parent.children.forEach((c, i) => {
      expect(c.env).toBe(parent.dir);
      expect(c.dir).toBe(parent.dir);
      expect(c.ino).toBe(parent.ino); // the very same file
      expect(c.parentMeta).toBe('parent-meta'); // a family the parent created
      expect(c.seenBefore).toBe(2 + 10 * i); // the parent's value, plus each earlier child's
    });
    // The parent sees what each child created and wrote.
    expect(parent.families).toEqual([
      'lifetime_fork_family=made-by-fork',
      'lifetime_parent_family=parent-meta',
      'lifetime_spawn_family=made-by-spawn',
      'lifetime_worker_family=made-by-worker',
    ]);
    expect(parent.total).toBe(32);
    expect(parent.shared).toBe('32');
    expect(fs.existsSync(parent.dir)).toBe(false); // removed when the parent exited
  });

  it.each([
    ['exits by calling process.exit(3)', '--exit3', 3],
    ['dies of an uncaught exception', '--throw', 1],
    ['loaded the library with a `process` of its own, whose exit event never fires (as under jest)', '--own-process', 0],
  ])('is removed when its creator %s', async (_how, flag, code) => {
    const tmp = freshTmp();
    const run = await runChild(child, ['create', flag], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal]).toEqual([code, null]);
    const opened = run.json[0] as Opened;
    expect(path.dirname(opened.dir)).toBe(tmp);
    expect(fs.existsSync(opened.dir)).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('is removed when the process exits, also when a worker thread made it (the main thread never loaded the library)', async () => {
    const tmp = freshTmp();
    const run = await runChild(child, ['thread-creator'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal]).toEqual([0, null]);
    const opened = run.json[0] as Opened & { mainThreadEnv: string | null };
    expect(path.dirname(opened.dir)).toBe(tmp);
    expect(opened.mainThreadEnv).toBeNull(); // a worker's environment is its own copy
    expect(fs.existsSync(opened.dir)).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('is one for all the threads of an application, whichever thread makes it first', async () => {
    const tmp = freshTmp();
    const run = await runChild(child, ['thread-pair', 'app'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const { dirs, seen } = run.json[0] as { dirs: string[]; existAfter: boolean[]; seen: string[][] };
    expect(dirs[0]).toBe(dirs[1]);
    expect(seen).toEqual([['pair_0', 'pair_1'], ['pair_0', 'pair_1']]);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it("is one per test runner's thread (vitest's threads pool, jest's workerThreads), removed when the thread ends", async () => {
    const tmp = freshTmp();
    const run = await runChild(child, ['thread-pair', 'runner'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const { dirs, existAfter, seen } = run.json[0] as { dirs: string[]; existAfter: boolean[]; seen: string[][] };
    expect(dirs[0]).not.toBe(dirs[1]);
    expect(dirs.map((d) => path.dirname(d))).toEqual([tmp, tmp]);
    expect(existAfter).toEqual([false, false]);
    expect(seen).toEqual([['pair_0'], ['pair_1']]);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('is removed when its creator is ended by %s, which still ends it', async (signal) => {
    const tmp = freshTmp();
    const { child: creator, opened } = await startCreator(tmp);
    expect(fs.existsSync(opened.dir)).toBe(true);
    creator.proc.kill(signal);
    const exit = await creator.exited;
    expect([exit.code, exit.signal, creator.stderr]).toEqual([null, signal, '']);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('is removed when SIGTERM arrives while its removal at exit is under way', async () => {
    // A test runner's worker may exit on its own just as the runner sends it SIGTERM (vitest does both). The
    // signal handler must finish the removal it interrupts, not leave it half done as the process dies.
    const tmp = freshTmp();
    const { child: creator, opened } = await startCreator(tmp);
    const files = 20_000; // removing them takes long enough (about half a second here) to signal in the middle
    creator.send(`fill ${files}`);
    expect(await creator.next()).toEqual({ event: 'filled', files: files + 2 });
    creator.send('exit');
    const entries = (): number => (fs.existsSync(opened.dir) ? fs.readdirSync(opened.dir).length : 0);
    await waitUntil(() => entries() < files + 2, 'the creator has begun to remove its directory');
    // Stopped, it stays mid-removal for as long as the test needs: the signal then lands there for certain.
    creator.proc.kill('SIGSTOP');
    await waitUntil(() => processState(creator.proc.pid!) === 'T', 'the creator has stopped');
    expect(entries()).toBeGreaterThan(0); // the removal had begun, and had not finished
    creator.proc.kill('SIGTERM');
    creator.proc.kill('SIGCONT');
    const exit = await creator.exited;
    expect([exit.code, exit.signal, creator.stderr]).toEqual([null, 'SIGTERM', '']);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it.each([
    ['before the library is loaded', '--sigterm-before'],
    ['after the heap is made', '--sigterm-after'],
  ])('is left to an application that handles SIGTERM itself (listening %s), until it exits', async (_when, flag) => {
    const tmp = freshTmp();
    const { child: creator, opened } = await startCreator(tmp, [flag]);
    creator.proc.kill('SIGTERM');
    expect(await creator.next()).toEqual({ event: 'signal', signal: 'SIGTERM', dirExists: true });
    creator.send('add');
    expect(await creator.next()).toEqual({ event: 'added', total: 2 });
    expect(fs.existsSync(opened.dir)).toBe(true);
    creator.send('exit');
    await expectCleanExit(creator);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('survives its creator after keepAfterExit(), and is then never removed as stale', async () => {
    const tmp = freshTmp();
    const run = await runChild(child, ['create', '--keep'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal]).toEqual([0, null]);
    const { dir } = run.json[0] as Opened;
    expect(fs.existsSync(path.join(dir, 'heap'))).toBe(true);
    expect(isHeapInUse(dir)).toBe(false);
    // Another process attaching by MPMETRICS_DIR finds what the creator wrote.
    const attach = await runChild(child, ['attach'], { env: childEnv({ TMPDIR: tmp, MPMETRICS_DIR: dir }) });
    expect(attach.json[0]).toMatchObject({ dir, total: 2 });
    expect(fs.existsSync(dir)).toBe(true); // an attacher never removes it
    // keepAfterExit() removed the private marker: like a user's directory, a later private creator leaves it alone.
    expect(fs.readdirSync(dir)).toEqual(['heap']);
    const next = await runChild(child, ['create'], { env: childEnv({ TMPDIR: tmp }) });
    expect((next.json[0] as Opened).dir).not.toBe(dir);
    expect(fs.existsSync(dir)).toBe(true);
    expect(removeStaleHeaps(tmp)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('a user-given directory is never removed', () => {
  it.each([
    ['the dir option', (dir: string) => ['open', dir], (_dir: string) => childEnv()],
    ['MPMETRICS_DIR', (_dir: string) => ['open', '-'], (dir: string) => childEnv({ MPMETRICS_DIR: dir })],
  ] as const)('given by %s: the directory and the heap its process created outlive it', async (_how, args, env) => {
    const dir = freshTmp();
    const tmp = freshTmp();
    const run = await runChild(child, args(dir), { env: { ...env(dir), TMPDIR: tmp } });
    expect([run.code, run.signal]).toEqual([0, null]);
    expect(run.json[0]).toMatchObject({ ok: true, dir, created: true });
    expect(fs.readdirSync(dir)).toEqual(['heap']);
    expect(fs.readdirSync(tmp)).toEqual([]); // no private directory was made instead
    // It is still a working heap with what the child put in it, and a later private creator leaves it alone.
    await runChild(child, ['create'], { env: childEnv({ TMPDIR: tmp }) });
    const heap = Heap.open({ dir });
    expect(heap.findFamily('lifetime_opened')?.meta).toBe('opened');
    heap.close();
  });

  it('even one named like a private heap, in TMPDIR, while its creator runs', async () => {
    const tmp = freshTmp();
    const dir = path.join(tmp, 'mpmetrics-userxx');
    fs.mkdirSync(dir, { mode: 0o700 });
    const user = startChild(child, ['attach', '--hold'], { env: childEnv({ TMPDIR: tmp, MPMETRICS_DIR: dir }) });
    expect(await user.next()).toMatchObject({ dir, total: 1 });
    const next = await runChild(child, ['create'], { env: childEnv({ TMPDIR: tmp }) });
    expect([next.code, next.signal]).toEqual([0, null]);
    expect(fs.readdirSync(dir)).toEqual(['heap']);
    user.send('exit');
    await expectCleanExit(user);
    expect(fs.readdirSync(dir)).toEqual(['heap']);
  });
});

describe('a private heap whose creator was killed', () => {
  // SIGTERM, SIGINT and SIGHUP remove it first (above); SIGKILL and a crash of the process itself cannot.
  it.each(['SIGKILL', 'SIGUSR2'] as const)(
    'after %s is left behind, not in use, and removed by the next process that makes a private heap',
    async (signal) => {
      const tmp = freshTmp();
      const { child: creator, opened } = await startCreator(tmp);
      expect(isHeapInUse(opened.dir)).toBe(true);
      creator.proc.kill(signal);
      expect(await creator.exited).toEqual({ code: null, signal });
      expect(fs.readdirSync(opened.dir).sort()).toEqual(['.mpmetrics-private', 'heap']);
      expect(isHeapInUse(opened.dir)).toBe(false);

      const next = startChild(child, ['create', '--hold'], { env: childEnv({ TMPDIR: tmp }) });
      const nextOpened = await next.next<Opened>();
      expect(nextOpened.dir).not.toBe(opened.dir);
      expect(fs.existsSync(opened.dir)).toBe(false);
      expect(privateDirs(tmp)).toEqual([nextOpened.dir]);
      expect(nextOpened.total).toBe(1); // a new, empty heap: nothing of the dead one's
      next.send('exit');
      await expectCleanExit(next);
      expect(fs.readdirSync(tmp)).toEqual([]);
    },
  );

  it('is kept while another process still has it open, and works for that process', async () => {
    const tmp = freshTmp();
    const { child: creator, opened } = await startCreator(tmp);
    const attached = startChild(child, ['attach', '--hold'], { env: childEnv({ TMPDIR: tmp, MPMETRICS_DIR: opened.dir }) });
    expect(await attached.next()).toMatchObject({ dir: opened.dir, total: 2 });
    creator.proc.kill('SIGKILL');
    await creator.exited;
    expect(isHeapInUse(opened.dir)).toBe(true); // held by the attached process

    const next = await runChild(child, ['create'], { env: childEnv({ TMPDIR: tmp }) });
    expect([next.code, next.signal]).toEqual([0, null]);
    expect(fs.readdirSync(opened.dir).sort()).toEqual(['.mpmetrics-private', 'heap']);
    expect(removeStaleHeaps(tmp)).toEqual([]);

    attached.send('add');
    expect(await attached.next()).toEqual({ event: 'added', total: 3 });
    attached.send('exit');
    await expectCleanExit(attached);
    // Now nobody holds it: it is stale.
    expect(isHeapInUse(opened.dir)).toBe(false);
    expect(removeStaleHeaps(tmp)).toEqual([opened.dir]);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('a private heap in use by its live creator', () => {
  it('is not removed by another process making its own private heap, and keeps working', async () => {
    const tmp = freshTmp();
    const first = await startCreator(tmp);
    const second = await startCreator(tmp);
    expect(second.opened.dir).not.toBe(first.opened.dir);
    expect(privateDirs(tmp).sort()).toEqual([first.opened.dir, second.opened.dir].sort());
    expect(removeStaleHeaps(tmp)).toEqual([]);
    expect(isHeapInUse(first.opened.dir)).toBe(true);

    first.child.send('add');
    expect(await first.child.next()).toEqual({ event: 'added', total: 2 });
    second.child.send('add');
    expect(await second.child.next()).toEqual({ event: 'added', total: 2 }); // separate heaps

    for (const c of [first.child, second.child]) {
      c.send('exit');
      await expectCleanExit(c);
    }
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('a private heap whose live creator has it closed', () => {
  // A cluster primary that only forks holds no heap open; between two workers nobody does.
  it('is not stale while its creator lives, and is once the creator is killed', async () => {
    const tmp = freshTmp();
    const first = await startCreator(tmp, ['--close']);
    expect(await first.child.next()).toEqual({ event: 'closed' });
    expect(isHeapInUse(first.opened.dir)).toBe(false);
    expect(removeStaleHeaps(tmp)).toEqual([]);
    const second = await startCreator(tmp);
    expect(second.opened.dir).not.toBe(first.opened.dir);
    expect(privateDirs(tmp).sort()).toEqual([first.opened.dir, second.opened.dir].sort());

    // A child the creator starts later still finds the heap, with what earlier children recorded.
    const later = await runChild(child, ['attach'], { env: childEnv({ MPMETRICS_DIR: first.opened.dir, TMPDIR: freshTmp() }) });
    expect(later.json).toMatchObject([{ event: 'opened', dir: first.opened.dir, total: 2 }]);

    first.child.proc.kill('SIGKILL');
    await first.child.exited;
    expect(removeStaleHeaps(tmp)).toEqual([first.opened.dir]);
    second.child.send('exit');
    await expectCleanExit(second.child);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('removeStaleHeaps', () => {
  it('removes only private heap directories of this user that nobody holds, and says which', async () => {
    const tmp = freshTmp();
    // Heap files nobody has open: copies of one made by a child process that has exited.
    const template = freshTmp();
    await runChild(child, ['open', template], { env: childEnv({ TMPDIR: freshTmp() }) });
    // Directories made by locateHeap carry a private marker; only those may ever be removed.
    const make = (name: string, mode = 0o700, withHeap = false, marked = true): string => {
      const dir = path.join(tmp, name);
      fs.mkdirSync(dir);
      if (marked) fs.writeFileSync(path.join(dir, '.mpmetrics-private'), 'test\n', { mode: 0o600 });
      fs.chmodSync(dir, mode);
      if (withHeap) {
        fs.copyFileSync(path.join(template, 'heap'), path.join(dir, 'heap'));
        fs.chmodSync(path.join(dir, 'heap'), 0o600);
      }
      return dir;
    };
    const old = (dir: string): void => {
      const past = new Date(Date.now() - 10 * 60_000);
      fs.utimesSync(dir, past, past);
    };
    const staleHeap = make('mpmetrics-aaaaaa', 0o700, true);
    const emptyOld = make('mpmetrics-bbbbbb');
    old(emptyOld);
    const emptyYoung = make('mpmetrics-cccccc'); // its creator may be about to write its heap
    const wrongMode = make('mpmetrics-dddddd', 0o750, true);
    old(wrongMode);
    const longName = make('mpmetrics-eeeeeee', 0o700, true);
    const otherName = make('mpmetrix-ffffff', 0o700, true);
    const link = path.join(tmp, 'mpmetrics-gggggg');
    fs.symlinkSync(staleHeap, link);
    const unmarked = make('mpmetrics-kkkkkk', 0o700, true, false); // a user's directory, or one kept on purpose
    old(unmarked);
    const current = make('mpmetrics-hhhhhh', 0o700, true); // this process's own MPMETRICS_DIR
    const held = make('mpmetrics-iiiiii', 0o700, true);
    const holder = startChild(child, ['attach', '--hold'], { env: childEnv({ MPMETRICS_DIR: held, TMPDIR: freshTmp() }) });
    await holder.next();
    let othersDir: string | undefined;
    if (process.geteuid!() === 0) {
      othersDir = make('mpmetrics-jjjjjj', 0o700, true);
      old(othersDir);
      fs.chownSync(othersDir, 65534, 65534);
    }

    const savedEnv = process.env.MPMETRICS_DIR;
    process.env.MPMETRICS_DIR = current;
    let removed: string[];
    try {
      removed = removeStaleHeaps(tmp);
    } finally {
      if (savedEnv === undefined) delete process.env.MPMETRICS_DIR;
      else process.env.MPMETRICS_DIR = savedEnv;
    }
    expect(removed.sort()).toEqual([staleHeap, emptyOld].sort());
    for (const dir of removed) expect(fs.existsSync(dir)).toBe(false);
    for (const dir of [emptyYoung, wrongMode, longName, otherName, unmarked, current, held, ...(othersDir ? [othersDir] : [])]) {
      expect(fs.existsSync(dir)).toBe(true);
    }
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(removeStaleHeaps(path.join(tmp, 'no-such-parent'))).toEqual([]);

    holder.send('exit');
    await expectCleanExit(holder);
  });
});

describe('closing a heap', () => {
  // close(2) drops an open-file-description lock only with the description's last reference, and every mapped
  // segment holds one: the addon unlocks explicitly before it closes, so the heap stops looking in use at once.
  it('releases this process\'s hold on it at once', () => {
    const dir = freshTmp();
    const heap = Heap.open({ dir });
    expect(isHeapInUse(dir)).toBe(true);
    heap.close();
    expect(isHeapInUse(dir)).toBe(false);
  });

  it('a process that closed its heap and exited no longer holds it', async () => {
    const dir = freshTmp();
    const run = await runChild(child, ['open', dir], { env: childEnv({ TMPDIR: freshTmp() }) });
    expect(run.json[0]).toMatchObject({ ok: true });
    expect(isHeapInUse(dir)).toBe(false);
  });
});

describe('a creator that exits while a child it started still runs', () => {
  // The creator removes its directory at exit; it does not wait for its children. A child that had the heap open
  // keeps its descriptor and its mapping of the (now unlinked) file, so it keeps updating, reading, creating
  // families and series, and even growing the heap; it shares it with nobody new, since the name is gone, and a
  // fresh Heap.open() in it fails with MPM_ERR_DIR_NOT_FOUND (MPMETRICS_DIR names a removed directory).
  it('removes the directory; the child keeps working on its mapping', async () => {
    const tmp = freshTmp();
    const parent = startChild(child, ['orphan-parent'], { env: childEnv({ TMPDIR: tmp }) });
    const said = await parent.next<{ event: string; dir: string; childPid: number }>();
    orphans.push(said.childPid);
    expect(await parent.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(said.dir)).toBe(false); // the creator removed it

    const result = await parent.next<Record<string, unknown>>(30_000);
    await parent.closed; // the orphan held the creator's stdout: it has finished now
    expect(parent.stderr).toBe('');
    expect(result).toEqual({
      event: 'orphan-result',
      dirExists: false,
      total: 1002, // the creator's 1, the child's 1 before and 1000 after the removal
      shared: '7',
      segmentsBefore: 1,
      segmentsAfter: 2,
      made: expect.any(Number),
      lastGrown: 1,
      late: 'late',
      lateTotal: 5,
      reopen: expect.objectContaining({ code: 'MPM_ERR_DIR_NOT_FOUND', path: said.dir }),
    });
    expect(result.made).toBeGreaterThan(10);
    await waitUntil(() => !isAlive(said.childPid), 'the orphan exits');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
