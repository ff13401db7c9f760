// Timing that survives a noisy machine: every case of a suite runs once per round, in an order that alternates
// between rounds, and a figure is the median over rounds. Ratios are taken round by round against the baseline
// measured in that same round, then their median is reported.

export interface Case {
  readonly name: string;
  /** Runs the operation `n` times. */
  readonly run: (n: number) => void;
}

export interface Result {
  readonly name: string;
  /** Median ns per operation. */
  readonly ns: number;
  /** Median of the per-round ratios against the suite's baseline (its first case). */
  readonly ratio: number;
  /** (max - min) / median of the per-round ns: how steady the figure was. */
  readonly spread: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** (max - min) / median: how steady a figure was over its rounds. */
export function spread(values: readonly number[]): number {
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

export function timeNs(run: (n: number) => void, n: number): number {
  const start = process.hrtime.bigint();
  run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

/** Runs every case for `rounds` rounds of `n` operations; the first case is the baseline of the ratios. */
export function runSuite(cases: readonly Case[], rounds: number, n: number): Result[] {
  for (const c of cases) c.run(Math.min(n, 200_000)); // warm up: let V8 optimise every case first
  const perCase = cases.map(() => [] as number[]);
  const ratios = cases.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    const order = cases.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    const times: number[] = [];
    for (const i of order) times[i] = timeNs(cases[i]!.run, n);
    times.forEach((t, i) => {
      perCase[i]!.push(t);
      ratios[i]!.push(t / times[0]!);
    });
  }
  return cases.map((c, i) => {
    const ns = median(perCase[i]!);
    return {
      name: c.name,
      ns,
      ratio: median(ratios[i]!),
      spread: spread(perCase[i]!),
    };
  });
}

export interface PairedMs {
  readonly oursMs: number;
  readonly theirsMs: number;
  /** Median of the per-round ratios ours / theirs. */
  readonly ratio: number;
}

/**
 * Times two slow operations (milliseconds each) against each other: `warmUp` rounds first, then `rounds` rounds
 * running both, in alternating order.
 */
export async function pairMs(rounds: number, ours: () => unknown, theirs: () => unknown, warmUp = 1): Promise<PairedMs> {
  const oursMs: number[] = [];
  const theirsMs: number[] = [];
  const ratios: number[] = [];
  const time = async (run: () => unknown): Promise<number> => {
    const start = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  for (let r = 0; r < warmUp + rounds; r++) {
    let a: number;
    let b: number;
    if (r % 2 === 0) {
      a = await time(ours);
      b = await time(theirs);
    } else {
      b = await time(theirs);
      a = await time(ours);
    }
    if (r < warmUp) continue;
    oursMs.push(a);
    theirsMs.push(b);
    ratios.push(a / b);
  }
  return { oursMs: median(oursMs), theirsMs: median(theirsMs), ratio: median(ratios) };
}
