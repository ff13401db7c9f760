#!/usr/bin/env node
// The app's `test` script: the jest suite (CommonJS) and the vitest suite (ESM), each in the ways users run them
// (jest with its workers, --runInBand and worker threads; vitest with its forks, --maxWorkers=1 --no-isolate and
// its threads pool; the thread pools with three workers, so files run side by side even on two cores), against
// @mpmetrics/core and again against prom-client itself (TEST_AGAINST=prom-client: see jest.config.js and
// vitest.config.mjs), under each Node of MPMETRICS_TEST_NODES (as the packages' tests).
//
// Every run gets a fresh TMPDIR, which must hold no heap directory (mpmetrics-XXXXXX) when the runner has exited:
// a library does not leave files in its user's temporary directory, whichever test runner hosted it.
// Every run goes on after a failure; the exit status is non-zero if any failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, testNodes, versionOf } from '../../../tooling/vitest/node-binaries.mjs';

const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(app, 'package.json'));
/** A package's bin script (vitest's exports map hides it: find the package, then the bin it declares). */
function binOf(name) {
  const manifest = require.resolve(`${name}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8'));
  return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin[name]);
}

const runners = [
  { name: 'jest', args: [binOf('jest'), '--ci'] },
  { name: 'jest --runInBand', args: [binOf('jest'), '--ci', '--runInBand'] },
  { name: 'jest --workerThreads', args: [binOf('jest'), '--ci', '--workerThreads', '--maxWorkers=3'] },
  { name: 'vitest', args: [binOf('vitest'), 'run'] },
  { name: 'vitest --maxWorkers=1 --no-isolate', args: [binOf('vitest'), 'run', '--maxWorkers=1', '--no-isolate'] },
  { name: 'vitest --pool=threads', args: [binOf('vitest'), 'run', '--pool=threads', '--maxWorkers=3'] },
];
const targets = ['@mpmetrics/core', 'prom-client'];

const results = [];
for (const major of testNodes()) {
  let binary;
  try {
    binary = major === 'current' ? process.execPath : nodeBinary(major);
  } catch (error) {
    console.error(`\nrun-suites: ${error.message}\n`);
    results.push({ name: `node ${major}`, ok: false, problem: 'NOT RUN (no binary, see above)' });
    continue;
  }
  const version = versionOf(binary) ?? '(unknown version)';
  for (const target of targets) {
    for (const runner of runners) {
      const name = `node ${version}, ${runner.name}, against ${target}`;
      console.log(`\n=== ${name} ===\n`);
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'mpm-suite-tmp-'));
      const env = { ...process.env, TMPDIR: tmp, PATH: `${path.dirname(binary)}${path.delimiter}${process.env.PATH ?? ''}` };
      delete env.MPMETRICS_DIR; // each run makes and must remove a heap directory of its own
      if (target === 'prom-client') env.TEST_AGAINST = 'prom-client';
      else delete env.TEST_AGAINST;
      const run = spawnSync(binary, runner.args, { cwd: app, stdio: 'inherit', env });
      const left = readdirSync(tmp).filter((entry) => entry.startsWith('mpmetrics-'));
      rmSync(tmp, { recursive: true, force: true });
      const problems = [];
      if (run.status !== 0) problems.push(`tests FAILED (exit ${run.status ?? run.signal})`);
      if (left.length > 0) problems.push(`left ${left.length} heap director${left.length === 1 ? 'y' : 'ies'} in TMPDIR (${left.join(', ')})`);
      results.push({ name, ok: problems.length === 0, problem: problems.join('; ') });
    }
  }
}

console.log('\n=== summary ===');
for (const r of results) console.log(`${r.name}: ${r.ok ? 'ok' : r.problem}`);
const failed = results.filter((r) => !r.ok).length;
console.log(`runs: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
