// Picks the exposition format from an HTTP Accept header, as Prometheus servers send it: OpenMetrics when the
// client lists application/openmetrics-text (version 1.0.0 or unversioned) with a weight above zero and at least
// that of text/plain; the text format 0.0.4 otherwise. Where protobuf can be served (negotiateScrapeFormat), the
// delimited MetricFamily protobuf when the client weighs it above zero and at least as much as every text format:
// what a Prometheus that scrapes native histograms asks for.
import type { ExpositionFormat } from './writer.js';

/** What a scrape can be answered in: a text format, or the Prometheus protobuf exposition. */
export type ScrapeFormat = ExpositionFormat | 'protobuf';

interface MediaRange {
  type: string;
  version: string | undefined;
  proto: string | undefined;
  encoding: string | undefined;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  return accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    let q = 1;
    let version: string | undefined;
    let proto: string | undefined;
    let encoding: string | undefined;
    for (const param of params) {
      const [name = '', raw = ''] = param.split('=').map((s) => s.trim());
      // parameter names are case-insensitive, and a value may be a quoted string (RFC 9110, section 5.6.6)
      const key = name.toLowerCase();
      const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
      if (key === 'q') q = value !== '' && Number.isFinite(Number(value)) ? Number(value) : 0;
      else if (key === 'version') version = value;
      else if (key === 'proto') proto = value;
      else if (key === 'encoding') encoding = value;
    }
    return { type: type.toLowerCase(), version, proto, encoding, q };
  });
}

/** The text format an Accept header asks for (see the top of this file). */
export function negotiateFormat(accept: string | undefined | null): ExpositionFormat {
  const format = negotiateScrapeFormat(accept, false);
  return format === 'protobuf' ? 'prometheus' : format;
}

/** The format an Accept header asks for, protobuf included when `protobuf` (the default) allows it. */
export function negotiateScrapeFormat(accept: string | undefined | null, protobuf = true): ScrapeFormat {
  if (accept === undefined || accept === null || accept === '') return 'prometheus';
  let openMetrics = 0;
  let text = 0;
  let delimited = 0;
  for (const range of parseAccept(accept)) {
    if (range.type === 'application/openmetrics-text' && (range.version === undefined || range.version === '1.0.0')) {
      openMetrics = Math.max(openMetrics, range.q);
    } else if (range.type === 'text/plain' || range.type === '*/*' || range.type === 'text/*') {
      text = Math.max(text, range.q);
    } else if (range.type === 'application/vnd.google.protobuf' && range.proto === 'io.prometheus.client.MetricFamily' && range.encoding === 'delimited') {
      delimited = Math.max(delimited, range.q);
    }
  }
  if (protobuf && delimited > 0 && delimited >= openMetrics && delimited >= text) return 'protobuf';
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'prometheus';
}
