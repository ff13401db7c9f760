// Fastify 5 under node:cluster with 2 workers: the scenario every integration passes (tooling/http-test).
import { fileURLToPath } from 'node:url';
import { describeClusterScenario } from '@mpmetrics/http-test';

describeClusterScenario('@mpmetrics/fastify', fileURLToPath(new URL('./fixtures/cluster-server.mjs', import.meta.url)));
