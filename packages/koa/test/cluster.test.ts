// Koa 3 with @koa/router under node:cluster with 2 workers: the scenario every integration passes
// (tooling/http-test).
import { fileURLToPath } from 'node:url';
import { describeClusterScenario } from '@mpmetrics/http-test';

describeClusterScenario('@mpmetrics/koa', fileURLToPath(new URL('./fixtures/cluster-server.mjs', import.meta.url)));
