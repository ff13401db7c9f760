#!/usr/bin/env node
// Builds the native addon from source with node-gyp, into build/Release (the loader tries it before the prebuilt
// binaries). Runs in `pnpm build` here, and by hand (`npx mpmetrics-build-native`) where no prebuilt binary fits:
// never as an install script.
//
// binding.gyp lives in native/, not at the package root: pnpm (like npm) treats a root binding.gyp as an install
// script and runs `node-gyp rebuild`, or refuses the install until the user approves builds.
//
// node-gyp normally downloads Node's headers; that needs the internet and (on many machines) an npm `nodedir`
// setting. Every official Node installation ships its headers in <prefix>/include/node, so we point node-gyp at
// the running Node's own prefix and nothing is downloaded. Node-API is ABI-stable: one build serves Node 20 to 26.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeDir } from './node-headers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const native = path.join(root, 'native');
const output = path.join(root, 'build', 'Release', 'mpmetrics.node');
const force = process.argv.includes('--force');

function newestSource() {
  const files = readdirSync(native).filter((f) => f !== 'build').map((f) => path.join(native, f));
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

if (!force && existsSync(output) && statSync(output).mtimeMs >= newestSource()) {
  process.exit(0);
}

/**
 * node-gyp: this package's own (a devDependency, present in its repository), else the one every npm ships, which is
 * what npm itself runs for packages with a binding.gyp.
 */
function findNodeGyp() {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const npmDirs = [
      process.env.npm_execpath && path.resolve(path.dirname(process.env.npm_execpath), '..'),
      path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'),
      path.resolve(path.dirname(process.execPath), 'node_modules', 'npm'),
    ].filter(Boolean);
    return npmDirs.map((dir) => path.join(dir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')).find((file) => existsSync(file));
  }
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  console.error('@mpmetrics/core: cannot find node-gyp to build the native addon; install it with `npm i -D node-gyp`.');
  process.exit(1);
}

const args = [nodeGyp, 'rebuild', '--release', '--jobs=max'];
const nodedir = nodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
else console.warn('@mpmetrics/core: Node headers not found beside this Node; node-gyp will try to download them.');

const result = spawnSync(process.execPath, args, { cwd: native, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    '@mpmetrics/core: building the native addon failed. It needs python3, make and a C++17 compiler (g++ or clang++).\n' +
      `  tried: ${process.execPath} ${args.join(' ')}`,
  );
  process.exit(result.status ?? 1);
}
mkdirSync(path.dirname(output), { recursive: true });
copyFileSync(path.join(native, 'build', 'Release', 'mpmetrics.node'), output);
