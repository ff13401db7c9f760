// Bad options fail when the middleware is made, with a message that starts with the package name.
import { expectRefused } from '@mpmetrics/http-test/options';
import { describe, it } from 'vitest';
import { metricsMiddleware } from '../src/index.js';

describe('metricsMiddleware() options', () => {
  it.each([
    [{ buckets: 'fast' }, TypeError, 'option "buckets" must be an array of numbers'],
    [{ metricsPath: 42 }, TypeError, 'option "metricsPath" must be a path starting with "/" or false'],
    [{ excludeMethods: 'GET' }, TypeError, 'option "excludeMethods" must be an array of HTTP methods'],
    [{ extraLabels: { le: 'x' } }, RangeError, 'may not set "le"'],
    [{ responseSizes: 'big' }, TypeError, 'option "responseSizes" must be a boolean or an array'],
    [{ unknown: 1 }, RangeError, '"unknown" is not an option of @mpmetrics/koa'],
    [{ reuseMetricsBuffer: 'yes' }, TypeError, 'option "reuseMetricsBuffer" must be a boolean, received the string "yes"'],
    [{ reuseMetricsBuffer: 1 }, TypeError, 'option "reuseMetricsBuffer" must be a boolean, received number 1'],
    [{ shareHiddenClasses: true }, RangeError, '"shareHiddenClasses" is not an option of @mpmetrics/koa'],
  ])('%j → %s', async (options, kind, says) => {
    await expectRefused('@mpmetrics/koa', () => metricsMiddleware(options as never), kind, says);
  });
});
