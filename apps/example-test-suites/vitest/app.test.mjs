import request from 'supertest';
import { register } from 'prom-client';
import { beforeEach, expect, test } from 'vitest';
import { createApp } from './app.mjs';

let app;

beforeEach(() => {
  register.clear();
  app = createApp();
});

test('counts requests by method, route and status code', async () => {
  await request(app).post('/jobs').send({ kind: 'report', size: 500 }).expect(201);
  await request(app).post('/jobs').send({ kind: 'report', size: 5000 }).expect(201);
  await request(app).delete('/jobs').expect(204);

  const res = await request(app).get('/metrics').expect(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  expect(res.text).toContain('http_requests_total{method="POST",route="/jobs",status_code="201"} 2\n');
  expect(res.text).toContain('http_requests_total{method="DELETE",route="/jobs",status_code="204"} 1\n');
});

test('starts from zero in every test', async () => {
  await request(app).post('/jobs').send({ kind: 'export', size: 50 }).expect(201);
  const res = await request(app).get('/metrics').expect(200);
  expect(res.text).toContain('http_requests_total{method="POST",route="/jobs",status_code="201"} 1\n');
  expect(res.text).not.toContain('method="DELETE"');
});

test('observes job sizes into the histogram', async () => {
  await request(app).post('/jobs').send({ kind: 'report', size: 500 }).expect(201);
  await request(app).post('/jobs').send({ kind: 'report', size: 5000 }).expect(201);
  await request(app).post('/jobs').send({ kind: 'export', size: 50 }).expect(201);

  expect(await register.getSingleMetricAsString('job_size_bytes')).toBe(
    [
      '# HELP job_size_bytes Size of the jobs queued',
      '# TYPE job_size_bytes histogram',
      'job_size_bytes_bucket{le="100",kind="report"} 0',
      'job_size_bytes_bucket{le="1000",kind="report"} 1',
      'job_size_bytes_bucket{le="10000",kind="report"} 2',
      'job_size_bytes_bucket{le="+Inf",kind="report"} 2',
      'job_size_bytes_sum{kind="report"} 5500',
      'job_size_bytes_count{kind="report"} 2',
      'job_size_bytes_bucket{le="100",kind="export"} 1',
      'job_size_bytes_bucket{le="1000",kind="export"} 1',
      'job_size_bytes_bucket{le="10000",kind="export"} 1',
      'job_size_bytes_bucket{le="+Inf",kind="export"} 1',
      'job_size_bytes_sum{kind="export"} 50',
      'job_size_bytes_count{kind="export"} 1',
    ].join('\n'),
  );
});

test('reads the queue length when scraped', async () => {
  await request(app).post('/jobs').send({ kind: 'report', size: 500 }).expect(201);
  await request(app).post('/jobs').send({ kind: 'report', size: 600 }).expect(201);
  expect(await register.getSingleMetricAsString('jobs_queued')).toBe(
    '# HELP jobs_queued Jobs waiting in the queue\n# TYPE jobs_queued gauge\njobs_queued 2',
  );

  await request(app).delete('/jobs').expect(204);
  const res = await request(app).get('/metrics').expect(200);
  expect(res.text).toContain('# TYPE jobs_queued gauge\njobs_queued 0\n');
});
