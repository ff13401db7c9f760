// Under fastify.inject() (no socket) a request is recorded with the status the route answered, not as abandoned:
// the 499 decision reads res.writableEnded, which light-my-request's response keeps as a real one does.
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { mpmetrics } from '../src/index.js';

describe('@mpmetrics/fastify under inject()', () => {
  it('records the answered status and leaves nothing in flight', async () => {
    const registry = new Registry();
    const app = Fastify();
    await app.register(mpmetrics, { registry, metricPrefix: 'inject_', responseSizes: true });
    app.get('/teapot/:id', async (request, reply) => reply.code(418).send('short and stout'));
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: `/teapot/${i}` })).statusCode).toBe(418);
    const text = await registry.metrics();
    expect(text).toContain('inject_http_request_duration_seconds_count{method="GET",route="/teapot/:id",status_code="418"} 3');
    expect(text).toContain('inject_http_response_size_bytes_count{method="GET",route="/teapot/:id",status_code="418"} 3');
    expect(text).not.toContain('status_code="499"');
    expect(text).toMatch(/^inject_http_requests_in_flight 0$/m);
    await app.close();
  });
});
