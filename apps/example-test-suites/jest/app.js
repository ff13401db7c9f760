// The app under test, written as a prom-client user writes one: createApp() declares its metrics and serves them.
// The only line that changed when it moved to @mpmetrics/core is the require of the metric classes.
const express = require('express');
const { Counter, Gauge, Histogram } = require('@mpmetrics/core');
const { register } = require('prom-client');

function createApp() {
  const queue = [];
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled',
    labelNames: ['method', 'route', 'status_code'],
  });
  const jobSize = new Histogram({
    name: 'job_size_bytes',
    help: 'Size of the jobs queued',
    labelNames: ['kind'],
    buckets: [100, 1000, 10000],
  });
  new Gauge({
    name: 'jobs_queued',
    help: 'Jobs waiting in the queue',
    collect() {
      this.set(queue.length);
    },
  });

  const app = express();
  app.use(express.json());
  app.post('/jobs', (req, res) => {
    const { kind, size } = req.body;
    queue.push({ kind, size });
    jobSize.observe({ kind }, size);
    requests.inc({ method: 'POST', route: '/jobs', status_code: 201 });
    res.status(201).json({ queued: queue.length });
  });
  app.delete('/jobs', (req, res) => {
    queue.length = 0;
    requests.inc({ method: 'DELETE', route: '/jobs', status_code: 204 });
    res.status(204).end();
  });
  app.get('/metrics', async (req, res) => {
    res.set('Content-Type', register.contentType);
    res.end(await register.metrics());
  });
  return app;
}

module.exports = { createApp };
