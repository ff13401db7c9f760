// Runs under arm64 Node (qemu-user): loads @mpmetrics/core from a package laid out as npm installs it (dist/,
// prebuilds/, no build/), forks two children that each add 1 to one counter ROUNDS times, and checks the exposition
// says exactly 2 × ROUNDS. Each process reports which addon file it mapped, read from /proc/self/maps, so the
// caller can check that the loader picked prebuilds/linux-arm64 by itself. Prints one JSON line; exits 1 on a
// wrong count.
//
//   node installed-count.mjs <project dir>           the parent
//   node installed-count.mjs <project dir> child     a child (forked by the parent)
import { fork } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [project, role] = process.argv.slice(2);
if (project === undefined) throw new Error('usage: node installed-count.mjs <project dir> [child]');
const ROUNDS = 20_000;
const NAME = 'arm64_forked_increments_total';

// resolved as an application in <project> would: <project>/node_modules/@mpmetrics/core
const core = await import(createRequire(`${project}/package.json`).resolve('@mpmetrics/core'));

/** The mpmetrics*.node files this process has mapped: the addon the loader chose. */
function mappedAddons() {
  const files = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => line.split(/\s+/).slice(5).join(' '));
  return [...new Set(files.filter((file) => /mpmetrics[^/]*\.node$/.test(file)))];
}

const facts = () => ({ pid: process.pid, arch: process.arch, node: process.version, addons: mappedAddons(), nativePath: process.env.MPMETRICS_NATIVE_PATH ?? null });

const counter = new core.Counter({ name: NAME, help: 'increments from forked arm64 children' });

if (role === 'child') {
  for (let i = 0; i < ROUNDS; i++) counter.inc();
  process.send(facts());
  process.disconnect();
} else {
  const children = [0, 1].map(() =>
    new Promise((resolve, reject) => {
      // fork() runs process.execPath: the arm64 node again, through binfmt_misc
      const child = fork(fileURLToPath(import.meta.url), [project, 'child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let report;
      child.on('message', (message) => (report = message));
      child.on('error', reject);
      child.on('exit', (code, signal) => (code === 0 && report ? resolve(report) : reject(new Error(`child ${child.pid} exited with ${code ?? signal} (report: ${JSON.stringify(report)})`))));
    }),
  );
  const reports = await Promise.all(children);
  const { body } = await new core.HeapExporter().respond('text/plain');
  const line = body.split('\n').find((l) => l.startsWith(`${NAME} `));
  const total = line === undefined ? undefined : Number(line.split(' ')[1]);
  const result = { expected: 2 * ROUNDS, total, parent: facts(), children: reports };
  console.log(JSON.stringify(result));
  process.exitCode = total === 2 * ROUNDS ? 0 : 1;
}
