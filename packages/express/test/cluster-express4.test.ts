// Express 4 (the express4 dev dependency) under node:cluster with 2 workers: the same scenario as Express 5.
import { fileURLToPath } from 'node:url';
import { describeClusterScenario } from '@mpmetrics/http-test';

describeClusterScenario('@mpmetrics/express with Express 4', fileURLToPath(new URL('./fixtures/cluster-server.mjs', import.meta.url)), ['express4']);
