// The server side of the slow-reader scenario (./slow-reader.ts), for the framework fixtures: padding series that
// make /metrics an 8 MB body (more than loopback's socket buffers take in), and two control routes in front of
// the framework: GET /set?v=N sets every padding series to N, GET /queued says how many /metrics responses have
// been ended but not yet finished (their body is still queued in the socket).
import { Gauge } from '@mpmetrics/core';

const SERIES = 4000;
const PAD = 'p'.repeat(2000);

export function declarePadding() {
  const pad = new Gauge({ name: 'slow_pad', help: 'Padding', labelNames: ['id'], maxSeries: Infinity });
  const set = (value) => {
    for (let i = 0; i < SERIES; i++) pad.set({ id: `${PAD}${i}` }, value);
  };
  set(0);
  let queued = 0;
  return (req, res) => {
    if (req.url.startsWith('/set?v=')) {
      set(Number(req.url.slice('/set?v='.length)));
      res.end('ok');
      return true;
    }
    if (req.url === '/queued') {
      res.end(String(queued));
      return true;
    }
    if (req.url === '/metrics') {
      // 'prefinish' is emitted by end(), 'finish' once the last write is done
      res.once('prefinish', () => {
        queued++;
        res.once('finish', () => queued--);
      });
    }
    return false;
  };
}
