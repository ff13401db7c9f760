// Whether this machine runs arm64 Linux binaries (qemu-user through binfmt_misc, set up by setup.sh), and the
// environment they need: QEMU_LD_PREFIX at the aarch64 sysroot of Debian's cross toolchain, whose loader, libc and
// libstdc++ the arm64 node and our addon use.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export const SYSROOT = '/usr/aarch64-linux-gnu';
const REGISTRATION = '/proc/sys/fs/binfmt_misc/qemu-aarch64';

/** Why arm64 binaries cannot run here, or undefined when the setup is in place. */
export function emulationProblem() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `this is ${process.platform}-${process.arch}; the emulation set-up is for linux-x64`;
  if (!fs.existsSync(REGISTRATION)) return `${REGISTRATION} is missing: qemu-aarch64 is not registered with binfmt_misc`;
  if (fs.readFileSync(REGISTRATION, 'utf8').split('\n')[0] !== 'enabled') return `${REGISTRATION} is disabled`;
  for (const file of ['lib/ld-linux-aarch64.so.1', 'lib/libc.so.6', 'lib/libstdc++.so.6']) {
    if (!fs.existsSync(`${SYSROOT}/${file}`)) return `${SYSROOT}/${file} is missing (libc6-arm64-cross, libstdc++6-arm64-cross)`;
  }
  return undefined;
}

/**
 * The environment with QEMU_LD_PREFIX set (kept if the caller set it).
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {NodeJS.ProcessEnv}
 */
export function emulatedEnv(env = process.env) {
  return { ...env, QEMU_LD_PREFIX: env.QEMU_LD_PREFIX ?? SYSROOT };
}

/** `process.arch` as `binary` reports it, run through the emulation, or the reason it did not run. */
export function archOf(binary) {
  const run = spawnSync(binary, ['-p', 'process.arch'], { encoding: 'utf8', env: emulatedEnv() });
  return run.status === 0 ? { arch: run.stdout.trim() } : { problem: `${binary} -p process.arch exited with ${run.status ?? run.signal ?? run.error?.code}: ${run.stderr.trim()}` };
}
