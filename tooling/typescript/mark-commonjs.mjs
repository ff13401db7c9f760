#!/usr/bin/env node
// Marks a CommonJS build's folder (default dist/cjs) as CommonJS for Node and TypeScript: the package itself is
// "type": "module", and tsc cannot write a package.json, so the second build of a dual package ends with this.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? 'dist/cjs');
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
