// A filesystem without fallocate, for one child process: an LD_PRELOAD library whose fallocate fails with
// EOPNOTSUPP, as on filesystems that lack it (older ZFS, some FUSE and network filesystems). Built once per test
// process with the C++ compiler the addon's build needs anyway; removed when the process exits.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SOURCE = `
#include <cerrno>
#include <sys/types.h>
extern "C" int fallocate(int, int, off_t, off_t) { errno = EOPNOTSUPP; return -1; }
extern "C" int fallocate64(int, int, off_t, off_t) { errno = EOPNOTSUPP; return -1; }
`;

let built: string | undefined;

/** The environment that makes a child's fallocate fail with EOPNOTSUPP. */
export function withoutFallocate(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (built === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-no-fallocate-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'shim.cc'), SOURCE);
    execFileSync('g++', ['-shared', '-fPIC', '-O1', '-o', path.join(dir, 'no-fallocate.so'), path.join(dir, 'shim.cc')]);
    built = path.join(dir, 'no-fallocate.so');
  }
  return { ...env, LD_PRELOAD: built };
}
