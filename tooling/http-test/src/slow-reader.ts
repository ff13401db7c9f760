// A /metrics body is a buffer lent by @mpmetrics/core and reused by later scrapes once given back: through a
// framework's real server (the fixture calls declarePadding() from ./slow-reader-server.mjs), a client that does not
// read keeps its 8 MB response queued in the socket while two other scrapes of other values run at once, and still
// receives its own bytes, whole; the others receive theirs.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startServer } from './server.js';

const SERIES = 4000;

function get(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
      .on('error', reject);
  });
}

/** Every padding sample's value, each series once. */
function padValues(body: Buffer): Set<string> {
  const lines = body.toString('utf8').split('\n').filter((line) => line.startsWith('slow_pad{'));
  expect(lines).toHaveLength(SERIES);
  return new Set(lines.map((line) => line.slice(line.lastIndexOf(' ') + 1)));
}

export function describeSlowReader(packageName: string, script: string): void {
  describe(`${packageName}: /metrics to a client that does not read`, () => {
    it('keeps its queued body while other scrapes run, and they keep theirs', async () => {
      const server = await startServer(script, []);
      try {
        await get(server.port, '/set?v=1');
        const socket = net.connect(server.port, '127.0.0.1');
        socket.pause();
        socket.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        // until its response is ended and still queued
        const deadline = Date.now() + 20_000;
        while ((await get(server.port, '/queued')).toString() !== '1') {
          expect(Date.now()).toBeLessThan(deadline);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }

        await get(server.port, '/set?v=2');
        const [b1, b2] = await Promise.all([get(server.port, '/metrics'), get(server.port, '/metrics')]);
        expect(padValues(b1)).toEqual(new Set(['2']));
        expect(padValues(b2)).toEqual(new Set(['2']));
        expect((await get(server.port, '/queued')).toString()).toBe('1');

        const raw = await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          socket.once('end', () => resolve(Buffer.concat(chunks)));
          socket.once('error', reject);
          socket.resume();
        });
        const head = raw.indexOf('\r\n\r\n');
        const body = raw.subarray(head + 4);
        const length = /content-length: (\d+)/i.exec(raw.subarray(0, head).toString('latin1'));
        if (length !== null) expect(Number(length[1])).toBe(body.length);
        expect(padValues(body)).toEqual(new Set(['1']));
        expect(padValues(await get(server.port, '/metrics'))).toEqual(new Set(['2']));
      } finally {
        await server.stop();
      }
    }, 60_000);
  });
}
