// Summary quantiles pinned to the values the sketch gave before its storage changed (issue 23: bins out of the
// cell, counts in 32 bits, a store that grows). The bins' boundaries and the rules that move a store's range are
// the same, so every quantile of the same observations must be the same double. The datasets cover what moves a
// range: 3, 6 and 9 decades (the last folds its lowest bins), values falling steadily (the range moves down),
// a jump of twelve decades up and back (a shift past the whole store), mixed signs with zeros, and a sliding window.
// Promoting 32-bit counts to doubles must not change them either. The pinned numbers were printed by this file
// with MPMETRICS_PRINT_PINNED=1 on the code of commit acc7c0a, under Node 20. They are compared as the bins they
// read back from: every quantile is a bin's value, 2γ^k / (γ + 1), and Math.pow's last bit differs between V8
// versions (Node 24 gives some values one ulp away from Node 20's), while the bins are what storage decides.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Summary } from '../src/index.js';
import { setNarrowCountLimit } from '../src/metrics/sketch-store.js';
import { RELATIVE_ACCURACY } from '../src/metrics/summary-sketch.js';
import { mulberry32 } from './support/random.js';
import { usePrivateHeap } from './support/private-heap.js';

const shared = usePrivateHeap('mpm-summary-pinned');
afterEach(() => {
  vi.useRealTimers();
  setNarrowCountLimit(undefined);
});

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);

/** The signed bin a quantile reads back from ("0" for zero): the inverse of its value, rounded. */
function binOf(quantile: number): string {
  if (quantile === 0) return '0';
  const k = Math.round(Math.log((Math.abs(quantile) * (GAMMA + 1)) / 2) / Math.log(GAMMA));
  return `${quantile < 0 ? '-' : '+'}${k}`;
}

const PERCENTILES = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];
const N = 20_000;

function logUniform(seed: number, low: number, decades: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: N }, () => 10 ** (low + decades * random()));
}

const DATASETS: Record<string, () => number[]> = {
  '3 decades, 1e-3..1': () => logUniform(1, -3, 3),
  '6 decades, 1e-3..1e3': () => logUniform(2, -3, 6),
  '9 decades, 1e-4..1e5': () => logUniform(3, -4, 9),
  'falling from 1e3 to 1e-5': () => Array.from({ length: N }, (_, i) => 10 ** (3 - (8 * i) / N)),
  'a jump of 12 decades up and back': () => {
    const random = mulberry32(5);
    return Array.from({ length: N }, (_, i) => (i >= N / 3 && i < (2 * N) / 3 ? 1e6 : 1e-6) * (1 + random()));
  },
  'negatives over 5 decades, zeros, positives over 4': () => {
    const random = mulberry32(6);
    return Array.from({ length: N }, () => {
      const u = random();
      if (u < 0.4) return -(10 ** (-2 + 5 * random()));
      if (u < 0.45) return 0;
      return 10 ** (-1 + 4 * random());
    });
  },
};

let serial = 0;

async function quantiles(values: readonly number[], windowed: boolean): Promise<number[]> {
  const summary = new Summary({
    name: `mpm_pinned_${serial++}`,
    help: 'h',
    percentiles: PERCENTILES,
    heap: shared.heap,
    registers: [],
    ...(windowed ? { maxAgeSeconds: 60, ageBuckets: 3 } : {}),
  });
  if (windowed) {
    // a third of the values in each of three windows 20 s apart, then a scrape in the last: the first drops out
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = 1_800_000_000_000;
    values.forEach((v, i) => {
      vi.setSystemTime(start + Math.floor((3 * i) / values.length) * 20_000);
      summary.observe(v);
    });
    vi.setSystemTime(start + 60_000);
  } else for (const v of values) summary.observe(v);
  const got = await summary.get();
  return got.values.slice(0, PERCENTILES.length).map((v) => v.value);
}

const PINNED: Record<string, number[]> = {
  "3 decades, 1e-3..1": [0.0009974781146370234,0.0010176291876599934,0.0010805580235322089,0.001401420357426272,0.00196894447044932,0.00557076432417876,0.031111875739585248,0.1772653223193445,0.5015394534033262,0.704644633038025,0.9323450234446053,0.9900000000000001,0.9900000000000001],
  "3 decades, 1e-3..1, windowed": [0.0009974781146370234,0.0010176291876599934,0.0010805580235322089,0.0014297318797985197,0.00196894447044932,0.00557076432417876,0.030495798992266728,0.1808464399419575,0.5015394534033262,0.704644633038025,0.9323450234446053,0.9900000000000001,0.9900000000000001],
  "6 decades, 1e-3..1e3": [0.0009974781146370234,0.0010176291876599934,0.0011473782949413098,0.0020087211264179926,0.0038865437454972903,0.031111875739585248,0.9138827457526332,30.878629345564757,247.18416724909363,497.7794014558156,854.2082452850775,982.5779489474345,1002.42800852213],
  "6 decades, 1e-3..1e3, windowed": [0.0009974781146370234,0.0010176291876599934,0.0011473782949413098,0.00196894447044932,0.0038865437454972903,0.03174039848179909,0.8957860577179276,30.878629345564757,257.27228753270117,507.83555098017547,871.4649775130588,982.5779489474345,1002.42800852213],
  "9 decades, 1e-4..1e5": [0.00975276596882628,0.00975276596882628,0.00975276596882628,0.00975276596882628,0.00975276596882628,0.018496328788030068,3.421198745225571,595.9537183534244,12711.533582199407,34554.6826210086,81660.60879780729,97766.08536578297,99741.15779741493],
  "9 decades, 1e-4..1e5, windowed": [0.00975276596882628,0.00975276596882628,0.00975276596882628,0.00975276596882628,0.00975276596882628,0.01813006485163343,3.4903138713917436,632.8067038853501,13230.318750333243,35964.933926834885,83310.31806644987,97766.08536578297,99741.15779741493],
  "falling from 1e3 to 1e-5": [0.00009801817006746549,0.00009801817006746549,0.00009801817006746549,0.00009801817006746549,0.00009801817006746549,0.0009974781146370234,0.09924864547445746,10.074696689511333,159.19327143165123,399.47439724136643,837.2932305269571,982.5779489474345,1002.42800852213],
  "falling from 1e3 to 1e-5, windowed": [0.00001002494879827749,0.000010227473016424509,0.000011303143422498512,0.00001863604360322296,0.00003395776460358172,0.00021382947934483955,0.004653065574626732,0.09924864547445746,0.6249612256645823,1.1617819588076104,1.915486553827213,2.116947090156736,2.1597136980386904],
  "a jump of 12 decades up and back": [0.19590913207918184,0.19590913207918184,0.19590913207918184,0.19590913207918184,0.19590913207918184,0.19590913207918184,0.19590913207918184,1239746.7616248159,1707307.89845899,1849509.4992546318,1963880.7074845443,2003555.0652115047,2003555.0652115047],
  "a jump of 12 decades up and back, windowed": [0.0000010050127163432631,0.0000010050127163432631,0.0000010253160035421168,0.0000011107145289965349,0.0000012032258939312636,0.0000014993227837211227,994912.7844253895,1514240.2095755034,1812885.5487743423,1886873.327522402,1963880.7074845443,2003555.0652115047,2003555.0652115047],
  "negatives over 5 decades, zeros, positives over 4": [-1002.42800852213,-963.1209598593665,-757.6117193208595,-223.66073809126712,-51.939608676811304,-0.6636079968787402,0.22990272243964713,15.64328372102874,202.3759301424829,468.79004820258984,837.2932305269571,982.5779489474345,1002.42800852213],
  "negatives over 5 decades, zeros, positives over 4, windowed": [-1002.42800852213,-963.1209598593665,-757.6117193208595,-232.78881637271866,-55.15148501578106,-0.7188798781499042,0.2208878132174279,15.333515726552923,202.3759301424829,468.79004820258984,837.2932305269571,963.1209598593665,1002.42800852213],
};

describe('summary quantiles are the ones the sketch gave before issue 23', () => {
  for (const [name, make] of Object.entries(DATASETS)) {
    for (const windowed of [false, true]) {
      const key = `${name}${windowed ? ', windowed' : ''}`;
      it(key, async () => {
        const got = await quantiles(make(), windowed);
        if (process.env['MPMETRICS_PRINT_PINNED'] === '1') console.log(`PINNED ${JSON.stringify(key)}: ${JSON.stringify(got)},`);
        else expect(got.map(binOf)).toEqual(PINNED[key]!.map(binOf));
      });
    }
  }
});

describe('and the same when 32-bit counts move to 64 bits early (past 7 instead of 2^32 − 1)', () => {
  for (const [name, make] of Object.entries(DATASETS)) {
    it(name, async () => {
      setNarrowCountLimit(7);
      expect((await quantiles(make(), false)).map(binOf)).toEqual(PINNED[name]!.map(binOf));
    });
  }
});
