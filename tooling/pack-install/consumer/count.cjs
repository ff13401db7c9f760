// A CommonJS consumer of the installed tarballs: two forked children each add PACK_INSTALL_COUNT to one counter,
// then this process prints the exposition and the addon it mapped, for check.mjs to judge.
const { fork } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { Counter } = require('@mpmetrics/core');
const { register } = require('prom-client');
// every public package must load from CommonJS, not only core
require('@mpmetrics/http');
require('@mpmetrics/express');
require('@mpmetrics/fastify');
require('@mpmetrics/koa');

const count = Number(process.env.PACK_INSTALL_COUNT);
const counter = new Counter({ name: 'pack_install_total', help: 'Added to by two forked processes' });

if (process.argv[2] === 'child') {
  for (let i = 0; i < count; i++) counter.inc();
} else {
  const exits = [0, 1].map(() => new Promise((resolve) => fork(__filename, ['child']).on('exit', (code, signal) => resolve(code ?? signal))));
  Promise.all(exits).then(async (codes) => {
    const addons = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith('.node')).map((l) => l.split(/\s+/).pop());
    console.log(JSON.stringify({ module: 'commonjs', arch: process.arch, codes, addons: [...new Set(addons)], metrics: await register.metrics() }));
  });
}
