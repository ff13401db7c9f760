// The TypeScript consumer, compiled with module/moduleResolution nodenext (tsconfig.json) and type-checked with
// bundler (tsconfig.bundler.json): the types must come from the tarball, real enough to reject a wrong label.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Counter } from '@mpmetrics/core';
import { metricsMiddleware as expressMetrics } from '@mpmetrics/express';
import { mpmetrics } from '@mpmetrics/fastify';
import { metricsMiddleware as koaMetrics } from '@mpmetrics/koa';
import { metricsResponse } from '@mpmetrics/http';
import { register } from 'prom-client';

const count = Number(process.env.PACK_INSTALL_COUNT);
const counter = new Counter({ name: 'pack_install_total', help: 'Added to by two forked processes' });
const labelled = new Counter({ name: 'pack_install_labelled_total', help: 'Only for its types', labelNames: ['kind'] as const });
// never called: a label that was not declared must be a compile error, so the types are not `any`
// @ts-expect-error 'colour' is not among labelNames
export const wrongLabel = (): void => labelled.inc({ colour: 'red' });
const integrations: unknown[] = [expressMetrics, mpmetrics, koaMetrics, metricsResponse];

if (process.argv[2] === 'child') {
  for (let i = 0; i < count; i++) counter.inc();
} else {
  const self = fileURLToPath(import.meta.url);
  const codes = await Promise.all([0, 1].map(() => new Promise((resolve) => fork(self, ['child']).on('exit', (code, signal) => resolve(code ?? signal)))));
  const addons = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith('.node')).map((l) => l.split(/\s+/).pop());
  const metrics = await register.metrics();
  console.log(JSON.stringify({ module: 'typescript', arch: process.arch, codes, addons: [...new Set(addons)], integrations: integrations.length, metrics }));
}
