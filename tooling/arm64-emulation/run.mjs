#!/usr/bin/env node
// The `test` script: the multi-process tests on arm64 Node under qemu-user (see README.md here). Fails, never
// skips, when the emulation is not set up: run ./setup.sh as root (CI's .ci/run does).
//
// 1. vitest (on this x64 Node) runs test/, which starts arm64 Node 22 and 24 on a package laid out as npm installs
//    it and checks two forked processes count exactly, on the arm64 prebuild the loader picked by itself.
// 2. vitest runs some of packages/core's multi-process tests with its test worker on arm64 Node (arm64-pool.mjs),
//    so the test file, its fixtures and their children all run arm64 code on one heap.
//
// MPMETRICS_ARM64_NODES: the arm64 Node majors of step 1 (default "22,24"); step 2 uses the first.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from '../vitest/node-binaries.mjs';
import { archOf, emulatedEnv, emulationProblem } from './emulation.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const problem = emulationProblem();
if (problem !== undefined) {
  console.error(`arm64 emulation is not set up: ${problem}.\nRun ${path.join(here, 'setup.sh')} as root (after apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross).`);
  process.exit(1);
}
Object.assign(process.env, emulatedEnv());

const majors = (process.env.MPMETRICS_ARM64_NODES ?? '22,24').split(',').map((m) => m.trim());
const binaries = [];
for (const major of majors) {
  const binary = nodeBinary(major, 'arm64');
  const { arch, problem: why } = archOf(binary);
  if (arch !== 'arm64') {
    console.error(`arm64 Node ${major} does not run as arm64 here: ${why ?? `process.arch is ${arch}`}`);
    process.exit(1);
  }
  binaries.push([major, binary]);
}

// vitest's exports map hides its bin script: find the package, then the bin it declares
const vitestPackage = createRequire(path.join(here, 'package.json')).resolve('vitest/package.json');
const vitest = path.join(path.dirname(vitestPackage), JSON.parse(readFileSync(vitestPackage, 'utf8')).bin.vitest);
const reporter = `--reporter=${process.env.CI ? 'verbose' : 'default'}`;
const env = { ...process.env, MPMETRICS_ARM64_BINARIES: JSON.stringify(binaries) };
let failed = false;
for (const config of ['vitest.config.mjs', 'core-on-arm64.config.mjs']) {
  const started = Date.now();
  console.log(`\n=== vitest --config ${config} (arm64 Node ${config.startsWith('core') ? majors[0] : majors.join(', ')}) ===\n`);
  const run = spawnSync(process.execPath, [vitest, 'run', '--config', config, reporter, ...process.argv.slice(2)], { cwd: here, stdio: 'inherit', env });
  console.log(`=== ${config}: ${run.status === 0 ? 'ok' : `FAILED (exit ${run.status ?? run.signal})`} in ${Math.round((Date.now() - started) / 1000)} s ===`);
  failed ||= run.status !== 0;
}
process.exit(failed ? 1 : 0);
