// The HTTP benchmark: for each framework, five servers (bare, the floor, ours, the peer middleware and a second
// bare server: see http/apps.ts) started once (all fifteen at the start) and warmed up once, then rounds of a short
// stretch of load on each, in an order that rotates from round to round; ratios are taken within each round and
// their median reported. Short stretches next to each other see the same machine:
// with a fresh server per stretch (start, warm-up, 3 s), a round took 26 s, and other jobs' load came and went
// within it, so that the per-round ratios spread over 2× and more. Loading two servers at the same moment, both
// pinned to one CPU and the load generators to the other, did not do better (docs/benchmarks-journal.md, "Shapes
// of the HTTP benchmark tried and dropped").
import { FRAMEWORKS, VARIANTS, type Framework, type Variant } from './http/apps.js';
import { BenchServer, CONNECTIONS, type RunResult } from './http/load.js';
import { median, spread } from './measure.js';
import { formatTable } from './report.js';

export interface HttpSettings {
  readonly rounds: number;
  readonly seconds: number;
  readonly warmUpSeconds: number;
}

const PEER: Record<Framework, string> = { express: 'express-prom-bundle', fastify: 'fastify-metrics', koa: 'prom-client histogram middleware' };

interface FrameworkResult {
  framework: Framework;
  /** Every variant's stretch of each round, by round. */
  runs: Record<Variant, RunResult[]>;
}

type Figure = keyof RunResult;

/** The ratio of `variant` to `base` in `figure` of each round (both measured within that round). */
function ratios(runs: Record<Variant, RunResult[]>, figure: Figure, variant: Variant, base: Variant): number[] {
  return runs[variant].map((run, round) => run[figure] / runs[base][round]![figure]);
}

async function benchFramework(framework: Framework, servers: Record<Variant, BenchServer>, settings: HttpSettings): Promise<FrameworkResult> {
  const runs = { bare: [], floor: [], mpmetrics: [], peer: [], twin: [] } as Record<Variant, RunResult[]>;
  for (const variant of VARIANTS) await servers[variant].warmUp(settings.warmUpSeconds);
  for (let round = 0; round < settings.rounds; round++) await benchRound(framework, servers, round, settings, runs);
  return { framework, runs };
}

async function benchRound(framework: Framework, servers: Record<Variant, BenchServer>, round: number, settings: HttpSettings, runs: Record<Variant, RunResult[]>): Promise<void> {
  const order = [...VARIANTS.slice(round % VARIANTS.length), ...VARIANTS.slice(0, round % VARIANTS.length)];
  if (round % 2 === 1) order.reverse();
  const got = {} as Record<Variant, RunResult>;
  for (const variant of order) got[variant] = await servers[variant].measure(settings.seconds);
  for (const variant of VARIANTS) runs[variant].push(got[variant]);
  const r = (figure: Figure, variant: Variant, base: Variant): string => (got[variant][figure] / got[base][figure]).toFixed(3);
  const cpu: Figure = 'cpuMicrosPerRequest';
  const rps: Figure = 'requestsPerSecond';
  console.log(
    `  ${framework} round ${round + 1}: CPU ours/bare ${r(cpu, 'mpmetrics', 'bare')}, floor/bare ${r(cpu, 'floor', 'bare')}, peer/bare ${r(cpu, 'peer', 'bare')}, twin/bare ${r(cpu, 'twin', 'bare')}; ` +
      `req/s ours/bare ${r(rps, 'mpmetrics', 'bare')}, ours/peer ${r(rps, 'mpmetrics', 'peer')}`,
  );
}

export async function benchHttp(settings: HttpSettings): Promise<string> {
  const results: FrameworkResult[] = [];
  // Every server is started at once (a start is mostly loading and compiling); an idle one costs no CPU.
  const servers = Object.fromEntries(FRAMEWORKS.map((framework) => [framework, {} as Record<Variant, BenchServer>])) as Record<Framework, Record<Variant, BenchServer>>;
  try {
    const started = await Promise.allSettled(
      FRAMEWORKS.flatMap((framework) => VARIANTS.map(async (variant) => (servers[framework][variant] = await BenchServer.start(framework, variant)))),
    );
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
    for (const framework of FRAMEWORKS) results.push(await benchFramework(framework, servers[framework], settings));
  } finally {
    for (const framework of FRAMEWORKS) for (const server of Object.values(servers[framework])) server.stop();
  }
  const met = (ok: boolean): string => (ok ? 'yes' : '**no**');
  const rows: string[][] = [];
  for (const r of results) {
    const cpu = (v: Variant): string => median(r.runs[v].map((x) => x.cpuMicrosPerRequest)).toFixed(1);
    const rps = (v: Variant): string => median(r.runs[v].map((x) => x.requestsPerSecond)).toFixed(0);
    const cpuOursVsBare = ratios(r.runs, 'cpuMicrosPerRequest', 'mpmetrics', 'bare');
    const cpuOursVsFloor = ratios(r.runs, 'cpuMicrosPerRequest', 'mpmetrics', 'floor');
    const cpuTwinVsBare = ratios(r.runs, 'cpuMicrosPerRequest', 'twin', 'bare');
    const rpsOursVsBare = ratios(r.runs, 'requestsPerSecond', 'mpmetrics', 'bare');
    const rpsOursVsPeer = ratios(r.runs, 'requestsPerSecond', 'mpmetrics', 'peer');
    const rpsTwinVsBare = ratios(r.runs, 'requestsPerSecond', 'twin', 'bare');
    const cpuOurs = median(cpuOursVsBare);
    const rpsBare = median(rpsOursVsBare);
    const rpsPeer = median(rpsOursVsPeer);
    const pct = (values: number[]): string => `${(spread(values) * 100).toFixed(0)}%`;
    rows.push([
      `${r.framework}: server CPU µs per request (bare / floor / ours / ${PEER[r.framework]})`,
      `${cpu('bare')} / ${cpu('floor')} / ${cpu('mpmetrics')} / ${cpu('peer')}`,
      `ours ${cpuOurs.toFixed(3)}×, floor ${median(ratios(r.runs, 'cpuMicrosPerRequest', 'floor', 'bare')).toFixed(3)}×, peer ${median(ratios(r.runs, 'cpuMicrosPerRequest', 'peer', 'bare')).toFixed(3)}× bare`,
      '≤ 1.05× bare',
      met(cpuOurs <= 1.05),
      `ours/bare ${pct(cpuOursVsBare)}`,
    ]);
    rows.push([
      `${r.framework}: server CPU, ours against the floor (a middleware that only reads the clock and listens for 'close')`,
      `${cpu('floor')} / ${cpu('mpmetrics')}`,
      `ours ${median(cpuOursVsFloor).toFixed(3)}× floor`,
      '(what recording adds)',
      '—',
      `ours/floor ${pct(cpuOursVsFloor)}`,
    ]);
    rows.push([
      `${r.framework}: bare against a second bare server (how far apart two identical servers come out)`,
      `CPU ${cpu('bare')} / ${cpu('twin')}, req/s ${rps('bare')} / ${rps('twin')}`,
      `CPU ${median(cpuTwinVsBare).toFixed(3)}×, req/s ${median(rpsTwinVsBare).toFixed(3)}× bare`,
      '(the resolution)',
      '—',
      `CPU ${pct(cpuTwinVsBare)}, req/s ${pct(rpsTwinVsBare)}`,
    ]);
    rows.push([
      `${r.framework}: requests per second (bare / ours / peer)`,
      `${rps('bare')} / ${rps('mpmetrics')} / ${rps('peer')}`,
      `ours ${rpsBare.toFixed(3)}× bare, ${rpsPeer.toFixed(3)}× peer`,
      '≥ 0.95× bare, ≥ 1.0× peer',
      met(rpsBare >= 0.95 && rpsPeer >= 1),
      `ours/bare ${pct(rpsOursVsBare)}, ours/peer ${pct(rpsOursVsPeer)}`,
    ]);
  }
  return [
    `node:cluster with 2 workers on loopback, GET /users/:id, autocannon with ${CONNECTIONS} connections; one server per variant (bare, floor: a middleware that only reads the clock and listens for the response's 'close', ours, the peer, and twin: a second bare server), warmed up ${settings.warmUpSeconds} s, then ${settings.rounds} rounds of ${settings.seconds} s on each, order rotating; ratios are medians of the per-round ratios; spread is (max − min) / median of a ratio's rounds.`,
    '',
    formatTable(['case', 'figures (medians)', 'paired ratio', 'target', 'met', 'spread'], rows),
  ].join('\n');
}
