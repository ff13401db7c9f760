#!/usr/bin/env node
// Builds the native addon from source with node-gyp. Runs on `npm install` of @mpmetrics/core and on `pnpm build`.
//
// node-gyp normally downloads Node's headers; that needs the internet and (on many machines) an npm `nodedir`
// setting. Every official Node installation ships its headers in <prefix>/include/node, so we point node-gyp at
// the running Node's own prefix and nothing is downloaded. Node-API is ABI-stable: one build serves Node 20, 22, 24.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.join(root, 'build', 'Release', 'mpmetrics.node');
const force = process.argv.includes('--force');

function newestSource() {
  const files = [path.join(root, 'binding.gyp'), ...readdirSync(path.join(root, 'native')).map((f) => path.join(root, 'native', f))];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

if (!force && existsSync(output) && statSync(output).mtimeMs >= newestSource()) {
  process.exit(0);
}

function headersDir() {
  const candidates = [
    process.env.npm_config_nodedir,
    process.env.MPMETRICS_NODEDIR,
    path.resolve(path.dirname(process.execPath), '..'),
  ].filter(Boolean);
  return candidates.find((dir) => existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

const require = createRequire(import.meta.url);
let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.error('@mpmetrics/core: cannot find node-gyp to build the native addon; install it with `npm i -D node-gyp`.');
  process.exit(1);
}

const args = [nodeGyp, 'rebuild', '--release', '--jobs=max'];
const nodedir = headersDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
else console.warn('@mpmetrics/core: Node headers not found beside this Node; node-gyp will try to download them.');

const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    '@mpmetrics/core: building the native addon failed. It needs python3, make and a C++17 compiler (g++ or clang++).\n' +
      `  tried: ${process.execPath} ${args.join(' ')}`,
  );
  process.exit(result.status ?? 1);
}
