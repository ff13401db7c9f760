// The scenario every web integration must pass (issue 5), as a describe block its package's test calls with a
// fixture: a real server under node:cluster with 2 workers (see ./cluster.mjs) serving
//   GET /users/:id and /api/items/:id (a router or prefix mounted at /api), /orgs/:org/teams/:team (a router or
//   prefix mounted at a path with a parameter, whose values must not become series) → 200 with {"pid"}, GET /boom (throws,
//   answered 500), GET /teapot (418), GET /slow (answers after 200 ms), GET /health (excluded from the metrics),
//   anything else 404 (/metrics7 too), and the metrics at /metrics (with or without a query string); every response
//   has an x-worker header with the worker's pid; DELETE requests are excluded from the metrics by method.
// N requests over several keep-alive connections are spread over both workers by the kernel; then each of 10
// scrapes of /metrics, answered by both workers, must show exactly the counts of all requests, labelled with the
// route template (mount prefixes included), 404s and thrown errors with their final status, /metrics itself not
// counted. A client that abandons a request is counted as 499.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startServer, type Server } from './server.js';

const N = 700;
const CONNECTIONS = 6;

function get(agent: http.Agent | undefined, port: number, path: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject).end();
  });
}

/** `name{labels} value` lines of a scrape → value by `name{labels}`. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** The sum of every `http_request_duration_seconds_count` of a scrape. */
const recorded = (values: Map<string, number>): number =>
  [...values].filter(([k]) => k.startsWith('http_request_duration_seconds_count{')).reduce((sum, [, v]) => sum + v, 0);

/**
 * Waits (up to 5 s) until the server has recorded `total` requests and has none in flight. A response reaches its
 * client before the server runs the response's 'close' listener that records it (a busy worker may be descheduled
 * in between), so a scrape sent at once to the other worker could come first: the exact counts are asserted after
 * this, by every one of the scrapes.
 */
async function settled(port: number, total: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const values = samples((await get(undefined, port, '/metrics', { connection: 'close' })).body);
    if (recorded(values) >= total && values.get('http_requests_in_flight') === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const count = (route: string, status: number | string, method = 'GET'): string =>
  `http_request_duration_seconds_count{method="${method}",route="${route}",status_code="${status}"}`;

/** `fixtureArgs` follow the number of workers on the fixture's command line. */
export function describeClusterScenario(packageName: string, fixture: string, fixtureArgs: string[] = []): void {
  const args = ['2', ...fixtureArgs];
  describe(`${packageName} under node:cluster with 2 workers`, () => {
    it('every scrape, whichever worker answers it, shows the exact counts of all requests', async () => {
      const server: Server = await startServer(fixture, args);
      try {
        const agents = Array.from({ length: CONNECTIONS }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
        const pids = new Set<number>();
        const sent = { users: 0, items: 0, boom: 0, teapot: 0, missing: 0, health: 0, teams: 0 };
        const requests: Promise<void>[] = [];
        for (let i = 0; i < N; i++) {
          const agent = agents[i % CONNECTIONS]!;
          const kind = i % 7;
          // a path that only starts like the metrics path is an unmatched request like any other
          const missing = i % 2 === 0 ? `/no/such/${i}` : `/metrics${i}`;
          const path = [`/users/${i}`, `/api/items/${i}`, '/boom', '/teapot', missing, '/health', `/orgs/org${i % 5}/teams/${i}`][kind]!;
          sent[(['users', 'items', 'boom', 'teapot', 'missing', 'health', 'teams'] as const)[kind]!]++;
          requests.push(
            get(agent, server.port, path).then(({ status, body }) => {
              if (kind <= 1 || kind === 6) pids.add((JSON.parse(body) as { pid: number }).pid);
              expect(status).toBe([200, 200, 500, 418, 404, 200, 200][kind]);
            }),
          );
        }
        await Promise.all(requests);
        // an excluded method (the fixtures exclude DELETE) is left out altogether: neither counted nor in flight
        for (let i = 0; i < 10; i++) expect((await get(agents[i % CONNECTIONS], server.port, `/users/${i}`, {}, 'DELETE')).status).toBe(404);
        for (const agent of agents) agent.destroy();
        expect(pids.size, 'requests reached both workers').toBe(2);
        await settled(server.port, N - sent.health);

        const scrapedBy = new Set<string>();
        for (let s = 0; s < 10; s++) {
          // a query string does not change the path
          const scrape = await get(undefined, server.port, s % 2 === 0 ? '/metrics' : `/metrics?scrape=${s}`, { connection: 'close' });
          expect(scrape.status).toBe(200);
          expect(scrape.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
          const values = samples(scrape.body);
          expect(values.get(count('/users/:id', 200))).toBe(sent.users);
          expect(values.get(count('/api/items/:id', 200))).toBe(sent.items);
          expect(values.get(count('/orgs/:org/teams/:team', 200))).toBe(sent.teams);
          expect(values.get(count('/boom', 500))).toBe(sent.boom);
          expect(values.get(count('/teapot', 418))).toBe(sent.teapot);
          expect(values.get(count('#unmatched', 404))).toBe(sent.missing);
          // excluded, and the metrics path itself never counted; no raw URL ever became a route
          expect(scrape.body).not.toContain('route="/health"');
          expect(scrape.body).not.toContain('/metrics');
          expect(scrape.body).not.toContain('/no/such');
          expect(scrape.body).not.toContain('/orgs/org');
          expect(scrape.body).not.toContain('method="DELETE"');
          expect(recorded(values)).toBe(N - sent.health);
          expect(values.get('http_requests_in_flight')).toBe(0);
          scrapedBy.add(String(scrape.headers['x-worker']));
        }
        expect(scrapedBy.size, 'the scrapes were answered by both workers').toBe(2);
        // OpenMetrics when asked
        const om = await get(undefined, server.port, '/metrics', { accept: 'application/openmetrics-text; version=1.0.0', connection: 'close' });
        expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
        expect(om.body.endsWith('# EOF\n')).toBe(true);
        expect(samples(om.body).get(count('/users/:id', 200))).toBe(sent.users);
      } finally {
        await server.stop();
      }
    });

    it('counts a request the client abandons as 499', async () => {
      const server = await startServer(fixture, args);
      try {
        await new Promise<void>((resolve) => {
          const req = http.get({ host: '127.0.0.1', port: server.port, path: '/slow' });
          req.on('error', () => resolve());
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 50);
        });
        // the worker notices the close at once; the scrape may come before it records it, so wait for it
        let values = new Map<string, number>();
        for (let i = 0; i < 50 && values.get(count('/slow', 499)) !== 1; i++) {
          await new Promise((r) => setTimeout(r, 50));
          values = samples((await get(undefined, server.port, '/metrics', { connection: 'close' })).body);
        }
        expect(values.get(count('/slow', 499))).toBe(1);
        expect(values.get('http_requests_in_flight')).toBe(0);
      } finally {
        await server.stop();
      }
    });
  });
}
