// /metrics bodies are lent buffers, reused by later scrapes: through a real HTTP server, a client that does not read
// keeps its response queued in the socket while other scrapes of other values run, and still receives its own bytes
// whole; a buffer comes back for reuse only after 'finish', and a response whose client went away keeps its buffer
// (Node emits 'finish' for it too: without the check of its socket, this test fails), as does one on a connection
// that is not a net.Socket (an in-memory Duplex, whose 'finish' comes while its peer still holds the chunk: without
// the instanceof check, a later scrape is written into the chunk it has not read).
import http from 'node:http';
import { Duplex } from 'node:stream';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as pc from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gauge, Heap, setDefaultHeap } from '@mpmetrics/core';
import { metricsResponse, releaseWhenSent } from '../src/index.js';

/** Padding series: 4,000 lines of about 2 KB, an 8 MB body, more than loopback's socket buffers take in. */
const SERIES = 4000;
const PAD = 'p'.repeat(2000);

let dir: string;
let server: http.Server;
let port: number;
let pad: Gauge<'id'>;
const registry = new pc.Registry();
/** What the server lent and sent, by the request's x-scrape header. */
const served = new Map<string, { buffer: ArrayBufferLike; res: http.ServerResponse }>();
const waiting = new Map<string, () => void>();

function setAll(value: number): void {
  for (let i = 0; i < SERIES; i++) pad.set({ id: `${PAD}${i}` }, value);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-http-reuse-'));
  fs.chmodSync(dir, 0o700);
  setDefaultHeap(Heap.open({ dir }));
  pad = new Gauge({ name: 'reuse_pad', help: 'Padding', labelNames: ['id'] as const, registers: [registry], maxSeries: Infinity });
  // prom-client's own metric too, so that its text is written into the lent buffer after the heap's
  new pc.Counter({ name: 'reuse_theirs_total', help: 'prom-client’s own', registers: [registry] }).inc(9);
  // as @mpmetrics/express serves /metrics
  server = http.createServer((req, res) => {
    void metricsResponse(registry, req.headers.accept, true).then((response) => {
      const name = String(req.headers['x-scrape']);
      served.set(name, { buffer: response.body.buffer, res });
      res.setHeader('Content-Type', response.contentType);
      releaseWhenSent(res, response);
      res.end(response.body);
      waiting.get(name)?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A client that sends its request and reads nothing until `read()`: the response waits in the server's socket. */
async function stalledScrape(name: string): Promise<{ socket: net.Socket; read(): Promise<Buffer> }> {
  const ended = new Promise<void>((resolve) => waiting.set(name, resolve));
  const socket = net.connect(port, '127.0.0.1');
  socket.pause();
  socket.write(`GET /metrics HTTP/1.1\r\nHost: localhost\r\nx-scrape: ${name}\r\nConnection: close\r\n\r\n`);
  await ended;
  return {
    socket,
    read: () =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.once('end', () => resolve(Buffer.concat(chunks)));
        socket.once('error', reject);
        socket.resume();
      }),
  };
}

async function scrape(name: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path: '/metrics', headers: { 'x-scrape': name } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve(Buffer.concat(chunks)));
      })
      .once('error', reject);
  });
}

/** The body of a raw HTTP/1.1 response, checked against its Content-Length. */
function bodyOf(raw: Buffer): Buffer {
  const head = raw.indexOf('\r\n\r\n');
  const length = /content-length: (\d+)/i.exec(raw.subarray(0, head).toString('latin1'));
  const body = raw.subarray(head + 4);
  expect(Number(length?.[1])).toBe(body.length);
  return body;
}

/** Every padding sample's value, checking that each of the series appears once. */
function padValues(body: Buffer): Set<string> {
  const lines = body.toString('utf8').split('\n').filter((line) => line.startsWith('reuse_pad{'));
  expect(lines).toHaveLength(SERIES);
  expect(body.toString('utf8')).toContain('\nreuse_theirs_total 9\n');
  return new Set(lines.map((line) => line.slice(line.lastIndexOf(' ') + 1)));
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('lent /metrics bodies through a real server', () => {
  it('a response queued in a slow client’s socket keeps its bytes while other scrapes run', async () => {
    setAll(1);
    const slow = await stalledScrape('slow');
    await settle(100);
    const slowServed = served.get('slow')!;
    // still being sent: its buffer is what the socket has yet to write
    expect(slowServed.res.writableFinished).toBe(false);
    expect(slowServed.res.socket?.writableLength ?? 0).toBeGreaterThan(0);

    setAll(2);
    const [b1, b2] = await Promise.all([scrape('b1'), scrape('b2')]); // two scrapers at once
    expect(padValues(b1)).toEqual(new Set(['2']));
    expect(padValues(b2)).toEqual(new Set(['2']));
    const buffers = new Set([slowServed.buffer, served.get('b1')!.buffer, served.get('b2')!.buffer]);
    expect(buffers.size).toBe(3);

    setAll(3);
    const b3 = await scrape('b3'); // written into a buffer b1 or b2 gave back
    expect(padValues(b3)).toEqual(new Set(['3']));
    expect(buffers.has(served.get('b3')!.buffer)).toBe(true);
    expect(served.get('b3')!.buffer).not.toBe(slowServed.buffer);
    // two more held in their sockets take every free buffer, so the next one given back is the next one taken
    const holds = [await stalledScrape('hold1'), await stalledScrape('hold2')];

    expect(padValues(bodyOf(await slow.read()))).toEqual(new Set(['1']));
    await settle(20);
    expect(slowServed.res.writableFinished).toBe(true);
    const after = await scrape('after');
    expect(padValues(after)).toEqual(new Set(['3']));
    expect(served.get('after')!.buffer).toBe(slowServed.buffer);
    for (const hold of holds) expect(padValues(bodyOf(await hold.read()))).toEqual(new Set(['3']));
  });

  it('a response whose client went away mid-write never gives its buffer back', async () => {
    setAll(4);
    const gone = await stalledScrape('gone');
    await settle(50);
    const goneServed = served.get('gone')!;
    expect(goneServed.res.writableFinished).toBe(false);
    const closed = new Promise((resolve) => goneServed.res.once('close', resolve));
    gone.socket.destroy();
    await closed;
    setAll(5);
    for (const name of ['next1', 'next2', 'next3']) {
      expect(padValues(await scrape(name))).toEqual(new Set(['5']));
      expect(served.get(name)!.buffer).not.toBe(goneServed.buffer);
    }
  });

  it('a response on a connection that is not a net.Socket never gives its buffer back', async () => {
    // an in-memory pair, as a test harness or a proxy may give a server: a write is done once the peer has the
    // chunk in its readable queue, by reference, before anyone reads it
    const pair = (): [Duplex, Duplex] => {
      const a: Duplex = new Duplex({ read() {}, write: (chunk: Buffer, _encoding, done) => (b.push(chunk), done()), final: (done) => (b.push(null), done()) });
      const b: Duplex = new Duplex({ read() {}, write: (chunk: Buffer, _encoding, done) => (a.push(chunk), done()), final: (done) => (a.push(null), done()) });
      return [a, b];
    };
    setAll(6);
    // two held in their sockets take every free buffer, so that this one is in a fresh one, and any given back is
    // the next one taken
    const holds = [await stalledScrape('hold3'), await stalledScrape('hold4')];
    const [serverSide, clientSide] = pair();
    const ended = new Promise<void>((resolve) => waiting.set('pair', resolve));
    server.emit('connection', serverSide);
    clientSide.write('GET /metrics HTTP/1.1\r\nHost: localhost\r\nx-scrape: pair\r\nConnection: close\r\n\r\n');
    await ended;
    const pairServed = served.get('pair')!;
    if (!pairServed.res.writableFinished) await new Promise((resolve) => pairServed.res.once('finish', resolve));

    setAll(7);
    for (const name of ['over1', 'over2', 'over3']) {
      expect(padValues(await scrape(name))).toEqual(new Set(['7']));
      expect(served.get(name)!.buffer).not.toBe(pairServed.buffer);
    }
    const chunks: Buffer[] = [];
    for (let chunk: unknown; (chunk = clientSide.read()) !== null; ) chunks.push(Buffer.from(chunk as Buffer));
    expect(padValues(bodyOf(Buffer.concat(chunks)))).toEqual(new Set(['6']));
    for (const hold of holds) expect(padValues(bodyOf(await hold.read()))).toEqual(new Set(['6']));
  });
});
