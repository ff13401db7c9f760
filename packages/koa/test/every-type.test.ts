// Every metric type, and collect(), through Koa's /metrics (tooling/http-test).
import { fileURLToPath } from 'node:url';
import { describeEveryMetricType } from '@mpmetrics/http-test/every-type-scenario';

describeEveryMetricType('@mpmetrics/koa', fileURLToPath(new URL('./fixtures/every-type-server.mjs', import.meta.url)));
