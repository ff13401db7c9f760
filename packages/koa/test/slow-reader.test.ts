// A client that does not read /metrics keeps its queued body while other scrapes run (tooling/http-test).
import { fileURLToPath } from 'node:url';
import { describeSlowReader } from '@mpmetrics/http-test/slow-reader-scenario';

describeSlowReader('@mpmetrics/koa', fileURLToPath(new URL('./fixtures/slow-reader-server.mjs', import.meta.url)));
