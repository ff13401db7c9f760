#!/usr/bin/env node
// Packs every public package as a release would (`pnpm pack`, which runs each prepack build), checks each tarball
// with publint, installs the tarballs into fresh projects outside the repo with npm and with pnpm (default
// settings, no build approved) and no compiler on PATH, then runs a CommonJS, an ESM and a TypeScript consumer whose
// two forked children count into one counter. Then, in the npm project and with the compiler back on PATH, it builds
// the addon from source with the shipped `mpmetrics-build-native` and checks that CommonJS consumer again on that
// build. Exits non-zero with what failed; the last stdout line is a JSON report.
//
// Environment:
//   PACK_INSTALL_NODE     the node that runs the consumers (default: this one), e.g. an arm64 node under qemu
//   PACK_INSTALL_COUNT    increments per child (default 100000)
//   PACK_INSTALL_MANAGERS comma-separated, "npm,pnpm" by default
//   PACK_INSTALL_PNPM     pnpm's executable (default: pnpm@12.4.2 through npx)
//   PACK_INSTALL_KEEP     set to keep the temp directory for inspection
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const PNPM_VERSION = '12.4.2';
// consumers' own dependencies, from the registry; the versions the workspace builds and tests with
const CONSUMER_DEPENDENCIES = { 'prom-client': '^15.1.3', express: '^5.1.0', fastify: '^5.6.0', koa: '^3.1.0' };
// The TypeScript consumer has skipLibCheck, as `tsc --init` sets it: without it, @types/koa fails to compile
// against the content-disposition that npm hoists for Express 5, and our .d.ts files would need @types/express
// and @types/koa (as any TypeScript user of those frameworks has) only to be checked themselves.
const CONSUMER_DEV_DEPENDENCIES = { typescript: '~5.9.3', '@types/node': '^20.19.0' };
const COMPILERS = ['g++', 'gcc', 'cc', 'c++', 'clang', 'make', 'python3', 'python'];

const consumerNode = process.env.PACK_INSTALL_NODE ?? process.execPath;
const count = Number(process.env.PACK_INSTALL_COUNT ?? 100_000);
const managers = (process.env.PACK_INSTALL_MANAGERS ?? 'npm,pnpm').split(',').map((m) => m.trim());
const problems = [];
const timings = {};

function fail(message) {
  problems.push(message);
  console.error(`pack-install: ${message}`);
}

function timed(label, action) {
  const start = performance.now();
  try {
    return action();
  } finally {
    timings[label] = Math.round(performance.now() - start);
  }
}

/** Runs a command; a non-zero exit is thrown with its output, since every caller needs it to succeed. */
function run(command, args, options) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(' ')} (in ${options?.cwd ?? process.cwd()}) exited ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}:\n${output}`);
  }
  return { stdout: result.stdout, output };
}

function publicPackages() {
  const root = path.join(repo, 'packages');
  return readdirSync(root)
    .map((name) => path.join(root, name))
    .filter((dir) => existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) }))
    .filter((p) => !p.manifest.private);
}

/** pnpm 12 is one native executable: the one given, or pnpm@12.4.2 fetched through npx (cached after the first run). */
function pnpmExecutable() {
  if (process.env.PACK_INSTALL_PNPM) return process.env.PACK_INSTALL_PNPM;
  const { stdout } = run('npx', ['-y', '-p', `pnpm@${PNPM_VERSION}`, 'sh', '-c', 'command -v pnpm'], { cwd: os.tmpdir() });
  return realpathSync(stdout.trim());
}

/**
 * A directory of symlinks to just what installing needs: node, npm, npx, pnpm and sh. Put alone on PATH, it keeps
 * every compiler and build tool out of reach, as in a slim production image.
 */
function toolsWithoutCompiler(dir, pnpm) {
  mkdirSync(dir);
  const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  const tools = {
    node: process.execPath,
    npm: npmCli,
    npx: path.join(path.dirname(npmCli), 'npx-cli.js'),
    pnpm,
    sh: '/bin/sh',
  };
  for (const [name, target] of Object.entries(tools)) symlinkSync(target, path.join(dir, name));
  for (const tool of COMPILERS) {
    const found = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: { PATH: dir }, encoding: 'utf8' });
    if (found.status === 0) fail(`${tool} is on the compiler-free PATH: ${found.stdout.trim()}`);
  }
  return dir;
}

/**
 * The environment of installs and consumers: ours (HOME keeps npm's and pnpm's caches; the proxy's CA settings stay),
 * without the workspace's package-manager, turbo, test and mpmetrics settings.
 */
function cleanEnv(toolsDir) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|turbo_|vitest|mpmetrics_|node_options$|init_cwd$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, PATH: toolsDir, CI: 'true', PACK_INSTALL_COUNT: String(count) };
}

function pack(packages, into) {
  const tarballs = {};
  for (const { dir, manifest } of packages) {
    const before = new Set(readdirSync(into));
    // pnpm pack replaces workspace:* with versions and runs prepack, which builds what the tarball needs
    run(pnpmPath, ['pack', '--pack-destination', into], { cwd: dir, env: { ...process.env, CI: 'true' } });
    const made = readdirSync(into).filter((f) => !before.has(f) && f.endsWith('.tgz'));
    if (made.length !== 1) throw new Error(`pnpm pack in ${dir} made ${made.length} tarballs: ${made.join(', ')}`);
    tarballs[manifest.name] = path.join(into, made[0]);
  }
  return tarballs;
}

function tarList(tarball) {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
}

/** What every public tarball must hold: dist (ESM, CJS, types), README, LICENSE equal to the root's. */
function checkContents(name, tarball, manifest) {
  const files = new Set(tarList(tarball));
  const wanted = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json'];
  if (name === '@mpmetrics/core') wanted.push('prebuilds/linux-x64/mpmetrics.glibc.node', 'prebuilds/linux-arm64/mpmetrics.glibc.node');
  for (const file of wanted) if (!files.has(file)) fail(`${name}: the tarball has no ${file}`);
  const license = execFileSync('tar', ['-xzOf', tarball, 'package/LICENSE'], { encoding: 'utf8' });
  if (license !== readFileSync(path.join(repo, 'LICENSE'), 'utf8')) fail(`${name}: LICENSE differs from the repository's`);
  const packed = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
  const scripts = Object.keys(packed.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s));
  if (scripts.length > 0) fail(`${name}: the tarball's package.json has install-time scripts ${scripts.join(', ')}`);
  const unresolved = Object.entries({ ...packed.dependencies, ...packed.peerDependencies }).filter(([, v]) => String(v).startsWith('workspace:'));
  if (unresolved.length > 0) fail(`${name}: workspace: ranges left in the tarball: ${unresolved.map(([k]) => k).join(', ')}`);
  if (packed.version !== manifest.version) fail(`${name}: packed version ${packed.version}, package.json says ${manifest.version}`);
}

/**
 * publint, strict, on the very tarball that gets installed: it must report nothing, not even a suggestion. (attw
 * runs in each package's own test, on the tarball `npm pack` makes of it.)
 */
function publint(name, tarball) {
  // publint's exports hide its package.json; pnpm links it into our node_modules
  const dir = path.join(here, 'node_modules', 'publint');
  const cli = path.join(dir, JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).bin.publint);
  const result = spawnSync(process.execPath, [cli, 'run', tarball, '--strict'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0 || !output.includes('All good!')) fail(`publint on ${name}'s tarball (exit ${result.status}):\n${output}`);
}

function writeConsumer(dir, manager, tarballs) {
  mkdirSync(dir);
  const local = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  const manifest = {
    name: `pack-install-${manager}`,
    private: true,
    version: '0.0.0',
    dependencies: { ...local, ...CONSUMER_DEPENDENCIES },
    devDependencies: CONSUMER_DEV_DEPENDENCIES,
  };
  // A tarball's own dependency on another of ours (express → core 0.1.0) must resolve to our tarball, never the
  // registry: npm's overrides name the root's spec, pnpm's take the tarball itself.
  if (manager === 'npm') manifest.overrides = Object.fromEntries(Object.keys(tarballs).map((name) => [name, `$${name}`]));
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (manager === 'pnpm') {
    const overrides = Object.entries(local).map(([name, spec]) => `  '${name}': '${spec}'`).join('\n');
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), `overrides:\n${overrides}\n`);
  }
  for (const file of ['count.cjs', 'count.mjs', 'count-ts.mts', 'types-check.mts', 'tsconfig.json', 'tsconfig.bundler.json', 'tsconfig.libcheck.json']) {
    cpSync(path.join(here, 'consumer', file), path.join(dir, file));
  }
}

const NETWORK_ERROR = /ECONNRESET|ETIMEDOUT|EAI_AGAIN|ECONNREFUSED|socket hang up|ERR_PNPM_FETCH|ERR_PNPM_META_FETCH|\b50[234]\b/;

/** Runs an install, again (up to 3 times, 15 s apart) only when it failed on the network: the registry is remote. */
function withRetry(action) {
  for (let attempt = 1; ; attempt++) {
    try {
      return action();
    } catch (error) {
      if (attempt === 3 || !NETWORK_ERROR.test(error.message)) throw error;
      console.error(`pack-install: network error, trying again in 15 s (attempt ${attempt} of 3)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15_000);
    }
  }
}

function install(dir, manager, env) {
  if (manager === 'npm') {
    // --foreground-scripts: any lifecycle script would print its "> name@version install" banner here
    // --prefer-offline: registry metadata already in npm's cache is used without asking again (pnpm does the same)
    const { output } = withRetry(() => run('npm', ['install', '--foreground-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, env }));
    // npm 11 also warns "install-scripts … not yet covered by allowScripts" for a script it ran
    const activity = output.split('\n').filter((l) => /^> .*\b(preinstall|install|postinstall|prepare)$|install-scripts|gyp|prebuild-install/.test(l));
    if (activity.length > 0) fail(`npm install ran install scripts:\n${activity.join('\n')}`);
    return output;
  }
  const { output } = withRetry(() => run(pnpmPath, ['install'], { cwd: dir, env }));
  if (/Ignored build scripts|ERR_PNPM_IGNORED_BUILDS|approve-builds/i.test(output)) fail(`pnpm reported ignored builds:\n${output}`);
  // pnpm records what it ignored in .modules.yaml (`pnpm ignored-builds` cannot read this layout in pnpm 12.4.2)
  const modules = readFileSync(path.join(dir, 'node_modules', '.modules.yaml'), 'utf8');
  const recorded = /"ignoredBuilds":\s*\[\s*"/.test(modules) || /^ignoredBuilds:\s*\n\s+-/m.test(modules);
  if (recorded) fail(`pnpm recorded ignored builds in node_modules/.modules.yaml`);
  return output;
}

/** Each of our packages is installed once, from our tarball, with no build output beside it. */
function checkInstalled(dir, manager, tarballs) {
  const core = path.join(dir, 'node_modules', '@mpmetrics', 'core');
  if (existsSync(path.join(realpathSync(core), 'build'))) fail(`${manager}: @mpmetrics/core was built at install (build/ exists)`);
  if (manager === 'npm') {
    const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
    for (const [where, entry] of Object.entries(lock.packages)) {
      const name = where.replace(/^.*node_modules\//, '');
      if (!(name in tarballs)) continue;
      if (where !== `node_modules/${name}`) fail(`npm: a second ${name} at ${where}`);
      if (!String(entry.resolved ?? '').endsWith('.tgz') || !String(entry.resolved).startsWith('file:')) fail(`npm: ${where} resolved from ${entry.resolved}`);
    }
  } else {
    const store = readdirSync(path.join(dir, 'node_modules', '.pnpm'));
    for (const name of Object.keys(tarballs)) {
      const copies = store.filter((entry) => entry.startsWith(`${name.replace('/', '+')}@`));
      if (copies.length !== 1 || !copies[0].includes('file+')) fail(`pnpm: ${name} is installed as ${copies.join(', ') || 'nothing'}, not once from its tarball`);
    }
  }
}

function runConsumers(dir, manager, env, { files = ['count.cjs', 'count.mjs', path.join('ts-out', 'count-ts.mjs')], addon } = {}) {
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  if (addon === undefined) timed(`${manager} tsc`, () => {
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, env });
    // resolution by `bundler` picks the same files from either layout: one check is enough, and tsc is slow
    if (manager === managers[0]) run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], { cwd: dir, env });
    // core's and http's declarations, checked themselves (the consumer above skips library checks: see its note)
    if (manager === managers[0]) run(process.execPath, [tsc, '-p', 'tsconfig.libcheck.json'], { cwd: dir, env });
  });
  const results = [];
  for (const file of files) {
    const label = `${manager} ${file}`;
    try {
      const result = timed(label, () => spawnSync(consumerNode, [file], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 }));
      if (result.status !== 0) throw new Error(`exited ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
      // a warning (a skipped binary, an in-process fallback) means the prebuild was not used as shipped
      if (result.stderr.trim() !== '') fail(`${label}: wrote to stderr:\n${result.stderr}`);
      const report = JSON.parse(result.stdout.trim().split('\n').pop());
      const line = report.metrics.split('\n').find((l) => l.startsWith('pack_install_total '));
      const expected = `pack_install_total ${2 * count}`;
      if (line !== expected) fail(`${label}: expected "${expected}", the exposition has "${line}"`);
      if (report.codes.some((code) => code !== 0)) fail(`${label}: children exited ${report.codes.join(', ')}`);
      // the copy installed in this project, not one the repo or a global install could lend
      const installed = `${realpathSync(dir)}/node_modules/`;
      const wanted = addon ?? `prebuilds/linux-${report.arch}/mpmetrics.glibc.node`;
      if (!(report.addons.length === 1 && report.addons[0].startsWith(installed) && report.addons[0].endsWith(wanted))) {
        fail(`${label}: expected the installed ${wanted} mapped, found ${JSON.stringify(report.addons)}`);
      }
      results.push({ manager, file, arch: report.arch, line, addon: report.addons[0] });
    } catch (error) {
      fail(`${label}: ${error.message}`);
    }
  }
  return results;
}

const keep = Boolean(process.env.PACK_INSTALL_KEEP);
const work = mkdtempSync(path.join(os.tmpdir(), 'mpm-pack-install-'));
const pnpmPath = pnpmExecutable();
const sourceBuilt = [];
const report = { node: spawnSync(consumerNode, ['--version'], { encoding: 'utf8' }).stdout?.trim(), count, consumers: [], sourceBuilt, problems, timings, work };
try {
  const packages = publicPackages();
  const tarballDir = path.join(work, 'tarballs');
  mkdirSync(tarballDir);
  const tarballs = timed('pack', () => pack(packages, tarballDir));
  for (const { manifest } of packages) checkContents(manifest.name, tarballs[manifest.name], manifest);
  timed('publint', () => {
    for (const { manifest } of packages) publint(manifest.name, tarballs[manifest.name]);
  });
  const env = cleanEnv(toolsWithoutCompiler(path.join(work, 'bin'), pnpmPath));
  for (const manager of managers) {
    const dir = path.join(work, manager);
    try {
      writeConsumer(dir, manager, tarballs);
      timed(`${manager} install`, () => install(dir, manager, env));
      checkInstalled(dir, manager, tarballs);
      report.consumers.push(...runConsumers(dir, manager, env));
    } catch (error) {
      fail(`${manager}: ${error.message}`);
    }
  }
  // The documented way where no prebuild fits: build from source in the installed package, with a compiler this
  // time, after which the loader prefers build/Release over the prebuild.
  if (managers.includes('npm') && !process.env.PACK_INSTALL_NODE) {
    const dir = path.join(work, 'npm');
    try {
      const withCompiler = cleanEnv(process.env.PATH ?? '');
      timed('npm mpmetrics-build-native', () => run('npx', ['--no-install', 'mpmetrics-build-native', '--force'], { cwd: dir, env: withCompiler }));
      sourceBuilt.push(...runConsumers(dir, 'npm (built from source)', env, { files: ['count.cjs'], addon: 'build/Release/mpmetrics.node' }));
    } catch (error) {
      fail(`npm mpmetrics-build-native: ${error.message}`);
    }
  }
} catch (error) {
  fail(error.message);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
const sourceBuildExpected = managers.includes('npm') && !process.env.PACK_INSTALL_NODE ? 1 : 0;
process.exit(problems.length === 0 && report.consumers.length === 3 * managers.length && sourceBuilt.length === sourceBuildExpected ? 0 : 1);
