#!/usr/bin/env node
// Builds the prebuilt addons that ship in the npm tarball: prebuilds/linux-x64 and prebuilds/linux-arm64, for glibc.
// Runs in `pnpm build` (a missing cross compiler is then a warning) and in `prepack` with --release (then every
// target must be there, or packing fails). A binary is rebuilt when the source is newer, or always with --force;
// none is put in place without passing the symbol-version check, so one that is there has passed it.
//
// We call g++ directly instead of node-gyp: the addon is one .cc file, node-gyp's cross builds need a gyp
// configuration per target, and its build/ directory is where a developer's own source build lives. Node-API is
// ABI-stable, so one binary per platform serves every Node version we support, and Node's headers (node_api.h) are
// the same on every architecture. libstdc++ stays a shared library (Node itself links it): linking it statically
// would pull in symbols of this machine's glibc (arc4random@2.36, pthread_once@2.34). Every symbol version the
// binary needs is checked against FLOORS (glibc 2.28, RHEL 8's libstdc++; see docs/ARCHITECTURE.md).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeDir, nodeDirCandidates } from './node-headers.mjs';
import { aboveFloors, requiredVersions } from './symbol-versions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const release = process.argv.includes('--release');
const force = process.argv.includes('--force');

/** Each prebuild: its folder under prebuilds/, and the compiler and objdump that make and check it. */
const targets = [
  { arch: 'x64', machine: 'x86_64', triple: 'x86_64-linux-gnu' },
  { arch: 'arm64', machine: 'aarch64', triple: 'aarch64-linux-gnu' },
].map((t) => {
  // The host's own compiler builds the host's architecture; others need the Debian cross toolchain.
  const native = process.platform === 'linux' && process.arch === t.arch;
  return {
    ...t,
    cxx: native ? (process.env.CXX ?? 'g++') : `${t.triple}-g++`,
    objdump: native ? 'objdump' : `${t.triple}-objdump`,
    output: path.join(root, 'prebuilds', `linux-${t.arch}`, 'mpmetrics.glibc.node'),
  };
});

function nodeIncludeDir() {
  const found = nodeDir();
  if (!found) fail(`Node's headers (include/node/node_api.h) not found under ${nodeDirCandidates().join(', ')}; set MPMETRICS_NODEDIR`);
  return path.join(found, 'include', 'node');
}

function fail(message) {
  console.error(`@mpmetrics/core build-prebuilds: ${message}`);
  process.exit(1);
}

const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

function newestSource() {
  const files = readdirSync(path.join(root, 'native')).map((f) => path.join(root, 'native', f));
  // this script and the floors it enforces: a tightened floor rebuilds and rechecks every binary
  files.push(fileURLToPath(import.meta.url), fileURLToPath(new URL('./symbol-versions.mjs', import.meta.url)));
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

const addonApi = createRequire(import.meta.url)('node-addon-api').include_dir;
const includes = [nodeIncludeDir(), path.resolve(root, addonApi)];
const source = newestSource();

/** Why a built binary must not ship: above a floor, or built for another CPU; empty when it may. */
function problemsOf(file, target) {
  const versions = requiredVersions(file, target.objdump);
  const problems = aboveFloors(versions);
  if (versions.machine !== target.machine) problems.push(`it is a ${versions.machine} binary, expected ${target.machine}`);
  return { versions, problems };
}

for (const target of targets) {
  if (!force && existsSync(target.output) && statSync(target.output).mtimeMs >= source) {
    // a release never trusts a binary it did not check in this run
    if (release) {
      const { problems } = problemsOf(target.output, target);
      if (problems.length > 0) fail(`prebuilds/linux-${target.arch} asks too much of the system:\n  ${problems.join('\n  ')}`);
    }
    continue;
  }
  if (!has(target.cxx) || !has(target.objdump)) {
    const missing = `${target.cxx} or ${target.objdump} is missing (Debian: apt-get install g++-${target.triple} binutils-${target.triple})`;
    if (release) fail(`cannot build prebuilds/linux-${target.arch}: ${missing}`);
    console.warn(`@mpmetrics/core build-prebuilds: skipping linux-${target.arch}: ${missing}`);
    continue;
  }
  mkdirSync(path.dirname(target.output), { recursive: true });
  // Written beside the output and renamed into place, so a failed build never leaves a half-written binary.
  const partial = `${target.output}.partial`;
  const args = [
    '-std=c++17', '-O2', '-Wall', '-Wextra', '-Wno-unused-parameter', '-fPIC', '-shared', '-pthread',
    '-fvisibility=hidden', '-fno-rtti',
    // node-addon-api with C++ exceptions (its node_addon_api_except target), as binding.gyp builds it
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DBUILDING_NODE_EXTENSION', '-D_FILE_OFFSET_BITS=64',
    ...includes.map((dir) => `-I${dir}`),
    '-Wl,-z,nodelete', '-Wl,--as-needed', '-s',
    '-o', partial, path.join(root, 'native', 'mpmetrics.cc'),
  ];
  console.log(`@mpmetrics/core build-prebuilds: ${target.cxx} → prebuilds/linux-${target.arch}`);
  const result = spawnSync(target.cxx, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    rmSync(partial, { force: true });
    fail(`${target.cxx} failed (exit ${result.status ?? result.signal})`);
  }

  // The floors are a promise to users: a binary that breaks one is never put in place.
  const { versions, problems } = problemsOf(partial, target);
  if (problems.length > 0) {
    rmSync(partial, { force: true });
    fail(`prebuilds/linux-${target.arch} asks too much of the system:\n  ${problems.join('\n  ')}`);
  }
  renameSync(partial, target.output);
  const summary = Object.entries(versions.highest).map(([family, version]) => `${family}_${version}`);
  console.log(`  ok: ${target.machine}, highest ${summary.join(', ')}`);
}
