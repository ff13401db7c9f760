// The requests the test sends: a fresh connection each (no keep-alive), so a killed worker cannot take a pooled
// connection, and with it a request, down with it. Each request gets a complete response or the test fails.
import http from 'node:http';

export interface Response {
  readonly status: number;
  readonly body: string;
}

export function request(port: number, method: string, path: string, json?: unknown): Promise<Response> {
  const body = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} on port ${port}: no response within 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The demo's routes in turn: 200, 200, 200 (after 10-50 ms), 201 and 404. */
const KINDS = [
  { method: 'GET', path: () => '/', status: 200 },
  { method: 'GET', path: (i: number) => `/users/${i}`, status: 200 },
  { method: 'GET', path: () => '/slow', status: 200 },
  { method: 'POST', path: () => '/orders', status: 201, json: { items: ['tea', 'scones'] } },
  { method: 'GET', path: (i: number) => `/no/such/page/${i}`, status: 404 },
] as const;

/**
 * Sends `count` requests, `concurrency` at a time, spread over `ports`; fails on any unexpected status.
 * Returns the pids that answered (every route but the 404 says which worker it was).
 */
export async function sendMix(ports: readonly number[], count: number, concurrency = 8): Promise<Set<number>> {
  const pids = new Set<number>();
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const kind = KINDS[i % KINDS.length]!;
      const port = ports[i % ports.length]!;
      const path = kind.path(i);
      const response = await request(port, kind.method, path, 'json' in kind ? kind.json : undefined);
      if (response.status !== kind.status) {
        throw new Error(`${kind.method} ${path} on port ${port}: status ${response.status}, expected ${kind.status}: ${response.body}`);
      }
      const pid = (JSON.parse(response.body) as { pid?: number }).pid;
      if (pid !== undefined) pids.add(pid);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return pids;
}
