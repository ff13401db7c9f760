// Small facts about a request every integration reads the same way.

/** The status of a request whose client went away before the response was finished: nginx's code for it. */
export const CLIENT_CLOSED_REQUEST = 499;

/** A Content-Length header as a number of bytes, or undefined when absent or not a size. */
export function contentLength(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
