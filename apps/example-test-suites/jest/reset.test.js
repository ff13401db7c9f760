// One app for the whole file; resetMetrics() in beforeEach zeroes the values and keeps the metrics registered.
const request = require('supertest');
const { register } = require('prom-client');
const { createApp } = require('./app');

let app;

beforeAll(() => {
  register.clear();
  app = createApp();
});

beforeEach(() => {
  register.resetMetrics();
});

test('first request of the file', async () => {
  await request(app).post('/jobs').send({ kind: 'report', size: 2000 }).expect(201);
  expect(await register.getSingleMetricAsString('http_requests_total')).toBe(
    [
      '# HELP http_requests_total HTTP requests handled',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="POST",route="/jobs",status_code="201"} 1',
    ].join('\n'),
  );
});

test('values are back to zero, the metrics are still there', async () => {
  const res = await request(app).get('/metrics').expect(200);
  expect(res.text).toContain('# TYPE http_requests_total counter\n\n');
  expect(res.text).toContain('# TYPE job_size_bytes histogram\n\n');
  // the queue is the app's own state: resetMetrics() does not empty it, and the gauge reads it when scraped
  expect(res.text).toContain('jobs_queued 1\n');
});

test('counts again after a reset', async () => {
  await request(app).post('/jobs').send({ kind: 'report', size: 2000 }).expect(201);
  await request(app).post('/jobs').send({ kind: 'report', size: 20 }).expect(201);
  const res = await request(app).get('/metrics').expect(200);
  expect(res.text).toContain('http_requests_total{method="POST",route="/jobs",status_code="201"} 2\n');
  expect(res.text).toContain('job_size_bytes_count{kind="report"} 2\n');
  expect(res.text).toContain('jobs_queued 3\n');
});
