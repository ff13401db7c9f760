// Picks the exposition format from an HTTP Accept header, as Prometheus servers send it: OpenMetrics when the
// client lists application/openmetrics-text (version 1.0.0 or unversioned) with a weight above zero and at least
// that of text/plain; the text format 0.0.4 otherwise.
import type { ExpositionFormat } from './writer.js';

interface MediaRange {
  type: string;
  version: string | undefined;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  return accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    let q = 1;
    let version: string | undefined;
    for (const param of params) {
      const [name = '', raw = ''] = param.split('=').map((s) => s.trim());
      // parameter names are case-insensitive, and a value may be a quoted string (RFC 9110, section 5.6.6)
      const key = name.toLowerCase();
      const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
      if (key === 'q') q = value !== '' && Number.isFinite(Number(value)) ? Number(value) : 0;
      else if (key === 'version') version = value;
    }
    return { type: type.toLowerCase(), version, q };
  });
}

export function negotiateFormat(accept: string | undefined | null): ExpositionFormat {
  if (accept === undefined || accept === null || accept === '') return 'prometheus';
  let openMetrics = 0;
  let text = 0;
  for (const range of parseAccept(accept)) {
    if (range.type === 'application/openmetrics-text' && (range.version === undefined || range.version === '1.0.0')) {
      openMetrics = Math.max(openMetrics, range.q);
    } else if (range.type === 'text/plain' || range.type === '*/*' || range.type === 'text/*') {
      text = Math.max(text, range.q);
    }
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'prometheus';
}
