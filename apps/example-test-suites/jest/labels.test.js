// Another file declares the same metric names as app.js with other label names: each test file has a registry of
// modules of its own, and register.clear() in beforeEach forgets what earlier files and tests declared.
const { Counter, Histogram } = require('@mpmetrics/core');
const { register } = require('prom-client');

let requests;
let jobSize;

beforeEach(() => {
  register.clear();
  requests = new Counter({ name: 'http_requests_total', help: 'Requests by path', labelNames: ['path'] });
  jobSize = new Histogram({ name: 'job_size_bytes', help: 'Job sizes', buckets: [10, 20] });
});

test('counts by path', async () => {
  requests.inc({ path: '/a' });
  requests.inc({ path: '/a' }, 2);
  requests.labels('/b').inc();
  expect(await register.getSingleMetricAsString('http_requests_total')).toBe(
    [
      '# HELP http_requests_total Requests by path',
      '# TYPE http_requests_total counter',
      'http_requests_total{path="/a"} 3',
      'http_requests_total{path="/b"} 1',
    ].join('\n'),
  );
});

test('a histogram without labels, with buckets of its own', async () => {
  jobSize.observe(15);
  jobSize.observe(25);
  expect(await register.metrics()).toBe(
    [
      '# HELP http_requests_total Requests by path',
      '# TYPE http_requests_total counter',
      '',
      '# HELP job_size_bytes Job sizes',
      '# TYPE job_size_bytes histogram',
      'job_size_bytes_bucket{le="10"} 0',
      'job_size_bytes_bucket{le="20"} 1',
      'job_size_bytes_bucket{le="+Inf"} 2',
      'job_size_bytes_sum 40',
      'job_size_bytes_count 2',
      '',
    ].join('\n'),
  );
});

test('a counter left out of some label values', async () => {
  const byUser = new Counter({ name: 'logins_total', help: 'Logins', labelNames: ['method', 'outcome'] });
  byUser.inc({ method: 'password' });
  byUser.inc({ method: 'password', outcome: 'ok' });
  expect(await register.getSingleMetricAsString('logins_total')).toBe(
    ['# HELP logins_total Logins', '# TYPE logins_total counter', 'logins_total{method="password"} 1', 'logins_total{method="password",outcome="ok"} 1'].join('\n'),
  );
});
