// A middleware that keeps /metrics' body past the response (a response cache, an audit log) keeps its own scrape:
// by default the body is a fresh Buffer, as before the lent buffers. With `reuseMetricsBuffer` it is a buffer that
// later scrapes write into once the response is sent, which is why that option is off by default.
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gauge, Heap, setDefaultHeap } from '@mpmetrics/core';
import { metricsMiddleware } from '../src/index.js';

let dir: string;
let value: Gauge;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-koa-kept-'));
  fs.chmodSync(dir, 0o700);
  setDefaultHeap(Heap.open({ dir }));
  value = new Gauge({ name: 'kept_value', help: 'The value of each scrape', registers: [] });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      })
      .on('error', reject);
  });
}

const valueLine = (text: string): string | undefined => text.split('\n').find((line) => line.startsWith('kept_value '));

/** Scrapes of 1, 2 and 3 with an upstream middleware keeping the first body: what it reads after the third. */
async function keptAfterLaterScrapes(options: { reuseMetricsBuffer?: boolean }): Promise<{ client: string; kept: string }> {
  const app = new Koa();
  let kept: unknown;
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/metrics' && kept === undefined) kept = ctx.body;
  });
  app.use(metricsMiddleware({ registry: new Registry(), ...options }));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    value.set(1);
    const client = await get(port);
    value.set(2);
    await get(port);
    value.set(3);
    await get(port);
    expect(Buffer.isBuffer(kept)).toBe(true);
    return { client, kept: (kept as Buffer).toString('utf8') };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('@mpmetrics/koa: a /metrics body kept by an upstream middleware', () => {
  it('by default is its own scrape after later scrapes of other values', async () => {
    const { client, kept } = await keptAfterLaterScrapes({});
    expect(valueLine(client)).toBe('kept_value 1');
    expect(kept).toBe(client);
  });

  it('with reuseMetricsBuffer is written over by a later scrape (why the option is off by default)', async () => {
    const { client, kept } = await keptAfterLaterScrapes({ reuseMetricsBuffer: true });
    expect(valueLine(client)).toBe('kept_value 1');
    expect(valueLine(kept)).not.toBe('kept_value 1');
  });
});
