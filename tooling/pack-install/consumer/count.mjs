// The ESM twin of count.cjs: two forked children each add PACK_INSTALL_COUNT to one counter, then this process
// prints the exposition and the addon it mapped.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Counter } from '@mpmetrics/core';
import { register } from 'prom-client';
import '@mpmetrics/http';
import '@mpmetrics/express';
import '@mpmetrics/fastify';
import '@mpmetrics/koa';

const count = Number(process.env.PACK_INSTALL_COUNT);
const counter = new Counter({ name: 'pack_install_total', help: 'Added to by two forked processes' });

if (process.argv[2] === 'child') {
  for (let i = 0; i < count; i++) counter.inc();
} else {
  const self = fileURLToPath(import.meta.url);
  const codes = await Promise.all([0, 1].map(() => new Promise((resolve) => fork(self, ['child']).on('exit', (code, signal) => resolve(code ?? signal)))));
  const addons = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith('.node')).map((l) => l.split(/\s+/).pop());
  console.log(JSON.stringify({ module: 'esm', arch: process.arch, codes, addons: [...new Set(addons)], metrics: await register.metrics() }));
}
