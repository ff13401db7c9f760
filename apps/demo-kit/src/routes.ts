// What the demo routes do, apart from the framework: each demo wires these into its own router, so the three
// demos answer the same requests with the same bodies.
import { setTimeout as sleep } from 'node:timers/promises';

export function hello(): { message: string; pid: number } {
  return { message: 'Hello from one of the workers: every one of them counts into the same metrics', pid: process.pid };
}

export function user(id: string): { id: string; name: string; pid: number } {
  return { id, name: `user ${id}`, pid: process.pid };
}

/** Waits 10–50 ms, so the latency histogram has something to show. */
export async function slow(): Promise<{ waitedMs: number; pid: number }> {
  const waitedMs = 10 + Math.floor(Math.random() * 41);
  await sleep(waitedMs);
  return { waitedMs, pid: process.pid };
}

let orders = 0;

/** POST /orders with a JSON body {"items": ["…", …]}: 201 with the order, or 400 saying what was wrong. */
export function createOrder(body: unknown): { status: 201 | 400; body: object } {
  const items = (body as { items?: unknown } | null | undefined)?.items;
  if (!Array.isArray(items) || items.length === 0 || !items.every((item) => typeof item === 'string')) {
    return { status: 400, body: { error: 'expected a JSON body like {"items": ["tea"]}' } };
  }
  orders += 1;
  return { status: 201, body: { id: `${process.pid}-${orders}`, items, pid: process.pid } };
}

export const NOT_FOUND = { error: 'not found; try /, /users/42, /slow, POST /orders or /metrics' };
