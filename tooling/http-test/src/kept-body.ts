// A /metrics body that the user's code keeps past its response (a response cache, an audit log: an upstream
// middleware or a hook, each framework's own) keeps its own scrape: by default the body is a fresh Buffer. With
// `reuseMetricsBuffer` it is a buffer that later scrapes write into once the response is sent, which is why that
// option is off by default. Each integration starts its app with such a keeper; the scrapes and checks are here.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gauge, Heap, setDefaultHeap } from '@mpmetrics/core';

export interface KeepingServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the integration's app on 127.0.0.1 with its /metrics under `options`, and a keeper (its middleware or
 * hook) that passes every /metrics body it sees to `keep`.
 */
export type StartKeepingServer = (options: { registry: Registry; reuseMetricsBuffer?: boolean }, keep: (body: unknown) => void) => Promise<KeepingServer>;

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

export function describeKeptBody(title: string, start: StartKeepingServer): void {
  describe(title, () => {
    let dir: string;
    let value: Gauge;

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-kept-body-'));
      fs.chmodSync(dir, 0o700);
      setDefaultHeap(Heap.open({ dir }));
      value = new Gauge({ name: 'kept_value', help: 'The value of each scrape', registers: [] });
    });

    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Scrapes of 1, 2 and 3 with the keeper holding the first body: what the client got, and what it reads after the third. */
    async function keptAfterLaterScrapes(options: { reuseMetricsBuffer?: boolean }): Promise<{ client: string; kept: string }> {
      let kept: unknown;
      const server = await start({ registry: new Registry(), ...options }, (body) => (kept ??= body));
      try {
        value.set(1);
        const client = await get(server.port);
        value.set(2);
        await get(server.port);
        value.set(3);
        await get(server.port);
        expect(Buffer.isBuffer(kept)).toBe(true);
        return { client, kept: (kept as Buffer).toString('utf8') };
      } finally {
        await server.close();
      }
    }

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
}
