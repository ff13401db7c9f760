// What a request costs each app of the HTTP benchmark in instructions, counted by valgrind (cachegrind): a figure
// this machine's noise does not reach. Its CPU time per stretch of load varies by 30% and more from one stretch to
// the next (a virtual machine's CPUs are shared), so the HTTP table resolves a few percent after 12 rounds at best.
//
// Each app (http/apps.ts) serves GET /users/42 over in-memory connections (http/in-memory-client.ts: Node's parser
// and response writer, no kernel) in one thread (`--single-threaded --predictable`: no concurrent compiler or GC
// threads, whose timing would change what the main thread does): `warmUp` requests, a full collection, then one
// run of requests, then a full collection (http/instructions-child.ts). It runs twice, with `settle` requests after
// the collection and with `settle + measured`; the difference over `measured` is one request in a steady state,
// its garbage collection included. V8's random and hash seeds are fixed.
//
// Why the collection and the settling stretch (docs/benchmarks-journal.md, 2026-12-07, "Node 24's loaded floor"):
// start-up grows the old generation until V8 starts an incremental marking, and under Node 24 a hot function reaches
// TurboFan only thousands of requests after its last deoptimization or full collection, later the longer it is
// (Fastify's route handler between 16,000 and 30,000 requests after the collection, ours' `#end` between 30,000
// and 50,000 on Fastify and Koa, between 50,000 and 80,000 on Express: `--trace-opt`). Counted from
// 4,000 requests on, the measured stretch held that marking and about 70 TurboFan compilations, which were 30% of
// the count, and where they landed depended on how much the process had loaded, not on what a request does:
// Fastify's floor under Node 24 counted 88.6k or 110.9k a request (a few unrelated lines added to the child moved
// the collection into the stretch), and the floor with our package loaded 97.1k, against 50.7k for both once settled.
// The collection after the warm-up ends start-up's marking at the same point in every variant, before anything is
// counted, and the settling stretch lets V8 finish compiling. The young generation is pinned too (YOUNG_GENERATION).
// The twin is bare counted with other seeds, so twin / bare shows the resolution.
//
// These are user-space instructions only: the kernel's share of a real request (loopback TCP, about half its CPU
// time here) is left out, so a ratio to bare is larger than the same ratio of server CPU time would be. Too slow
// for the full run, this section runs only when asked: `pnpm bench --only=instructions`.
// `--framework=express` and `--variant=floor,mpmetrics` count a part of it (so one framework under one Node is a few
// minutes), `--jobs=1` counts one at a time on a machine shared with other work, `--warm-up=N`, `--settle=S` and
// `--measured=M` move the stretch; the Node is the one running `pnpm bench` (e.g. `<node> --import tsx src/run.ts
// --only=instructions`).
//
// Express's variants with "-trick" (http/apps.ts) pair with each other: ours with `shareHiddenClasses` against bare
// and the floor that put `req` and `res` in dictionary mode too, since that trick changes Express's own cost.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { countNodeInstructions, valgrindVersion } from './cachegrind.js';
import { FRAMEWORKS, TRICK_VARIANTS, type AppVariant, type Framework, type Variant } from './http/apps.js';
import { ownHeapEnv } from './http/own-heap-env.js';
import { inParallel } from './in-parallel.js';
import { formatTable } from './report.js';

export interface InstructionSettings {
  readonly frameworks: readonly Framework[];
  /** Express's "-trick" variants are counted for Express alone. */
  readonly variants: readonly AppVariant[];
  readonly warmUp: number;
  /** Requests after the collection that follows the warm-up, before the measured ones: V8 tiers up again. */
  readonly settle: number;
  readonly measured: number;
  /** Counts at once; default: one per core. */
  readonly jobs?: number;
}

const INSTRUCTION_VARIANTS: readonly AppVariant[] = ['bare', 'floor', 'mpmetrics', 'twin', ...TRICK_VARIANTS, 'floor-loaded'];
const FULL_INSTRUCTIONS: InstructionSettings = { frameworks: FRAMEWORKS, variants: INSTRUCTION_VARIANTS, warmUp: 4000, settle: 80_000, measured: 20_000 };
/** The quick pass only checks that the counting works. */
export const QUICK_INSTRUCTIONS: InstructionSettings = { frameworks: ['koa'], variants: ['bare', 'mpmetrics'], warmUp: 100, settle: 100, measured: 100 };

/** What `pnpm bench --only=instructions` may narrow or change: comma-separated names, and counts as given. */
export interface InstructionFlags {
  framework?: string | undefined;
  variant?: string | undefined;
  jobs?: string | undefined;
  warmUp?: string | undefined;
  settle?: string | undefined;
  measured?: string | undefined;
}

/**
 * The full settings narrowed by `pnpm bench` flags (--framework, --variant, --jobs, --warm-up, --settle, --measured); a name
 * that is not a framework or variant, or a count that is not a whole number of at least 1, throws.
 */
export function narrowInstructions(flags: InstructionFlags): InstructionSettings {
  const pick = <T extends string>(what: string, all: readonly T[], asked: string | undefined): readonly T[] => {
    if (asked === undefined) return all;
    const names = asked.split(',');
    for (const name of names) if (!(all as readonly string[]).includes(name)) throw new Error(`--${what}=${name}: not one of ${all.join(', ')}`);
    return names as T[];
  };
  const count = (what: string, given: string | undefined, otherwise: number): number => {
    if (given === undefined) return otherwise;
    const n = Number(given);
    if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--${what}=${given}: not a whole number of at least 1`);
    return n;
  };
  return {
    frameworks: pick('framework', FRAMEWORKS, flags.framework),
    variants: pick('variant', INSTRUCTION_VARIANTS, flags.variant),
    warmUp: count('warm-up', flags.warmUp, FULL_INSTRUCTIONS.warmUp),
    settle: count('settle', flags.settle, FULL_INSTRUCTIONS.settle),
    measured: count('measured', flags.measured, FULL_INSTRUCTIONS.measured),
    jobs: count('jobs', flags.jobs, os.availableParallelism()),
  };
}

/** Whether `framework` has `variant`: the "-trick" ones are Express's. */
function hasVariant(framework: Framework, variant: AppVariant): boolean {
  return framework === 'express' || !variant.endsWith('-trick');
}

/** What ours may cost over the floor (a middleware that only reads the clock and listens for 'close'). */
const FLOOR_TARGET = 1.02;

/** V8's seeds of every count; the twin's differ. */
const SEED = 42;
const TWIN_SEED = 7;

/**
 * The young generation's size, the same in every variant: V8 grows each semi-space from 8 to 16 MB when much of it
 * survives, which the start-up of a process that loads more does and that of the bare floor under Node 22 and 24 does
 * not, so that the floor scavenged twice as often as ours for the same garbage (about 0.3k a request on Fastify).
 */
const YOUNG_GENERATION = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

const CHILD = fileURLToPath(new URL('./http/instructions-child.ts', import.meta.url));

/** Instructions of one run of `framework`/`variant` serving `warmUp` requests, collecting, then serving `requests`. */
function countInstructions(framework: Framework, variant: AppVariant, warmUp: number, requests: number): Promise<number> {
  const seed = variant === 'twin' ? TWIN_SEED : SEED;
  const args = ['--expose-gc', ...YOUNG_GENERATION, '--import', 'tsx', CHILD, framework, variant === 'twin' ? 'bare' : variant, String(warmUp), String(requests)];
  return countNodeInstructions(`${framework}/${variant}`, seed, args, ownHeapEnv());
}

export async function benchInstructions(settings: InstructionSettings): Promise<string> {
  const version = await valgrindVersion();
  if (version === undefined) return 'Not measured: `valgrind` was not found (Debian: `apt-get install valgrind`).';
  const cases = settings.frameworks.flatMap((framework) => settings.variants.filter((variant) => hasVariant(framework, variant)).map((variant) => ({ framework, variant })));
  // each count is printed as it comes, so that a long run stopped early still leaves its figures
  const jobs = cases.flatMap(({ framework, variant }) =>
    [settings.settle, settings.settle + settings.measured].map((requests) => async () => {
      const count = await countInstructions(framework, variant, settings.warmUp, requests);
      console.log(`  ${framework}/${variant}, ${settings.warmUp} + ${requests} requests: ${count} instructions`);
      return count;
    }),
  );
  const counts = await inParallel(jobs, settings.jobs ?? os.availableParallelism());
  const perRequest = new Map<string, number>();
  cases.forEach(({ framework, variant }, i) => {
    const count = (counts[2 * i + 1]! - counts[2 * i]!) / settings.measured;
    perRequest.set(`${framework}/${variant}`, count);
    console.log(`  ${framework}/${variant}: ${(count / 1000).toFixed(2)}k instructions a request`);
  });

  // a row per framework, and for Express a second row of the "-trick" variants, each against its own bare and floor
  const rows = settings.frameworks.flatMap((framework) => {
    const row = (suffix: '' | '-trick'): string[] => {
      const of = (variant: Variant | 'floor-loaded'): number | undefined =>
        perRequest.get(`${framework}/${variant}${variant === 'twin' || variant === 'floor-loaded' ? '' : suffix}`);
      const figure = (variant: Variant): string => {
        const count = of(variant);
        return count === undefined ? '—' : `${(count / 1000).toFixed(1)}k`;
      };
      const ratio = (variant: Variant, to: Variant | 'floor-loaded'): string => {
        const count = of(variant);
        const base = of(to);
        return count === undefined || base === undefined ? '—' : `${(count / base).toFixed(3)}×`;
      };
      const oursVsFloor = (of('mpmetrics') ?? Number.NaN) / (of('floor') ?? Number.NaN);
      const met = Number.isNaN(oursVsFloor) ? '—' : oursVsFloor <= FLOOR_TARGET ? 'yes' : '**no**';
      const shown: Variant[] = ['bare', 'floor', 'mpmetrics', 'twin'];
      return [`${framework}${suffix === '' ? '' : ' (req and res in dictionary mode)'}`, shown.map(figure).join(' / '), ratio('mpmetrics', 'bare'), ratio('floor', 'bare'), ratio('mpmetrics', 'floor'), `≤ ${FLOOR_TARGET}× floor`, met, suffix === '' ? ratio('mpmetrics', 'floor-loaded') : '—', ratio('twin', 'bare')];
    };
    const trickCounted = TRICK_VARIANTS.some((variant) => perRequest.has(`${framework}/${variant}`));
    return trickCounted ? [row(''), row('-trick')] : [row('')];
  });
  return [
    `${version}, \`--tool=cachegrind\`; Node \`--single-threaded --predictable\`, seeds fixed; GET /users/42 over 8 in-memory keep-alive connections (no kernel); instructions of one request in a steady state: ${settings.warmUp} requests, a full garbage collection, then the difference between a run of ${settings.settle} requests and one of ${settings.settle + settings.measured}, each ending in a full garbage collection, over ${settings.measured}. Variants as in the HTTP table; the twin is bare counted with other seeds, so twin / bare is the resolution. User-space instructions only: with the kernel's share of a loopback request (about half its CPU time) what a ratio to bare has over 1 is about halved.`,
    '',
    formatTable(['framework', 'instructions per request (bare / floor / ours / twin)', 'ours / bare', 'floor / bare', 'ours / floor', 'target', 'met', 'ours / floor with our package loaded', 'twin / bare'], rows),
  ].join('\n');
}
