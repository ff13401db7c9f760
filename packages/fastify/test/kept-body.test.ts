// An onSend hook that keeps /metrics' payload past the response (a response cache, an audit log) keeps its own scrape:
// by default the body is a fresh Buffer, as before the lent buffers. With `reuseMetricsBuffer` it is a buffer that
// later scrapes write into once the response is sent, which is why that option is off by default.
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gauge, Heap, setDefaultHeap } from '@mpmetrics/core';
import { mpmetrics } from '../src/index.js';

let dir: string;
let value: Gauge;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-fastify-kept-'));
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

/** Scrapes of 1, 2 and 3 with an onSend hook keeping the first payload: what it reads after the third. */
async function keptAfterLaterScrapes(options: { reuseMetricsBuffer?: boolean }): Promise<{ client: string; kept: string }> {
  const app = Fastify();
  let kept: unknown;
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/metrics' && kept === undefined) kept = payload;
    return payload;
  });
  await app.register(mpmetrics, { registry: new Registry(), ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;
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
    await app.close();
  }
}

describe('@mpmetrics/fastify: a /metrics payload kept by an onSend hook', () => {
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
