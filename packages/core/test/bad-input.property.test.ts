// Property-based checks of everything a user can hand a metric (fast-check): metric names, label names, label
// values (any Unicode, lone surrogates, quotes, backslashes, newlines, empty, huge), numbers (NaN, ±Infinity, -0,
// huge) and values that are not numbers at all. Every call must either record exactly what it was given or throw
// a TypeError/RangeError with a stable MPM_ERR_ code, recording nothing; and whatever was recorded must export in
// both formats to text that promtool and Python's OpenMetrics parser accept, reading back the label values given.
//
// MPMETRICS_PROPERTY_RUNS scales the runs per property (default 200).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, Heap, HeapExporter, Histogram, MpmetricsError, Summary } from '../src/index.js';
import { usePrivateHeap } from './support/private-heap.js';
import { expectAcceptedByPromtool, findPromtool, findPython, promtool, pythonParse } from './support/validators.js';

const RUNS = Number(process.env.MPMETRICS_PROPERTY_RUNS ?? 200);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const privateHeap = usePrivateHeap('mpm-property');
let heap: Heap;
let families = 0;
const fresh = (): string => `prop_${++families}`;
beforeAll(() => {
  heap = privateHeap.heap;
});

/** Runs `call`; returns undefined if it succeeded, else the error, which must be one of ours with a code. */
function outcome(call: () => void): MpmetricsError | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(Error);
    const coded = error as MpmetricsError;
    expect(coded.name === 'TypeError' || coded.name === 'RangeError', `${coded.name}: ${coded.message}`).toBe(true);
    expect(coded.code, coded.message).toMatch(/^MPM_ERR_[A-Z_]+$/);
    return coded;
  }
}

/** Strings of every kind: any code unit (lone surrogates too), the characters the formats escape, and big ones. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\r', '\t', '\u0000', 'n', '{', '}', ',', '=', ' ', '☃', '😀', '\u2028'), maxLength: 30 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1000, maxLength: 20_000 }),
  fc.constant(''),
);
const notAString = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.bigInt(),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.constant(Symbol('s')),
  fc.constant(() => 1),
);
const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 1, 1e308),
  fc.integer(),
);

describe('metric and label names', () => {
  it('a metric name is taken exactly when it matches the Prometheus grammar', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.stringMatching(METRIC_NAME, { maxLength: 30 })), (name) => {
        const error = outcome(() => new Counter({ name, help: 'h', heap, registers: [] }));
        expect(error === undefined, `${JSON.stringify(name)}: ${error?.message}`).toBe(METRIC_NAME.test(name));
        if (error) expect(error.message).toContain('name');
      }),
      { numRuns: RUNS },
    );
  });

  it('a label name is taken exactly when it matches the grammar and is not reserved', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, fc.stringMatching(LABEL_NAME, { maxLength: 20 }), fc.constantFrom('le', 'quantile', '__x')), (label) => {
        const error = outcome(() => new Histogram({ name: fresh(), help: 'h', labelNames: [label], heap, registers: [] }));
        const valid = LABEL_NAME.test(label) && !label.startsWith('__') && label !== 'le';
        expect(error === undefined, `${JSON.stringify(label)}: ${error?.message}`).toBe(valid);
      }),
      { numRuns: RUNS },
    );
  });

  it('a metric name or label name that is not a string is a TypeError', () => {
    fc.assert(
      fc.property(notAString, (value) => {
        expect(outcome(() => new Counter({ name: value as never, help: 'h', heap, registers: [] }))?.name).toBe('TypeError');
        expect(outcome(() => new Counter({ name: fresh(), help: 'h', labelNames: [value as never], heap, registers: [] }))?.name).toBe('TypeError');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('label values', () => {
  const counter = (): Counter<'route' | 'code'> => new Counter({ name: 'prop_values_total', help: 'h', labelNames: ['route', 'code'], heap, registers: [] });

  it('any number or well-formed string is recorded and read back exactly; a lone surrogate is refused with a code', async () => {
    const c = counter();
    const expected = new Map<string, number>();
    const wellFormed = (v: string | number): boolean => typeof v === 'number' || !/[\uD800-\uDFFF]/.test(v.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''));
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyString, anyNumber), fc.oneof(anyString, fc.integer()), async (route, code) => {
        const error = outcome(() => c.inc({ route, code }));
        const key = JSON.stringify([String(route), String(code)]);
        expect(error === undefined, `${key}: ${error?.message}`).toBe(wellFormed(route) && wellFormed(code));
        if (error === undefined) expected.set(key, (expected.get(key) ?? 0) + 1);
        else expect(error.code, error.message).toBe('MPM_ERR_LABELS');
        const got = new Map((await c.get()).values.map((v) => [JSON.stringify([String(v.labels.route), String(v.labels.code)]), v.value]));
        expect(got).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('a label value that is neither a string nor a number is refused with MPM_ERR_LABELS, and records nothing (undefined: only with strictLabels)', async () => {
    const c = new Counter({ name: fresh(), help: 'h', labelNames: ['route'], heap, registers: [] });
    const strict = new Counter({ name: fresh(), help: 'h', labelNames: ['route'], strictLabels: true, heap, registers: [] });
    await fc.assert(
      fc.asyncProperty(notAString, async (value) => {
        const strictError = outcome(() => strict.inc({ route: value as never }));
        expect(strictError?.name).toBe(value === undefined ? 'RangeError' : 'TypeError'); // undefined: a missing label
        expect(strictError?.code).toBe('MPM_ERR_LABELS');
        expect((await strict.get()).values).toEqual([]);
        const error = outcome(() => c.inc({ route: value as never }));
        if (value === undefined) {
          // not strict: a label given as undefined is left out, as prom-client's label hash skips it
          expect(error).toBeUndefined();
          expect((await c.get()).values).toStrictEqual([{ value: 1, labels: {} }]);
          c.reset();
          return;
        }
        expect(error?.name).toBe('TypeError');
        expect(error?.code).toBe('MPM_ERR_LABELS');
        expect((await c.get()).values).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('numbers', () => {
  it('inc, dec, set and observe take every finite number they allow and refuse the rest with a code', async () => {
    const name = fresh();
    const counter = new Counter({ name: `${name}_total`, help: 'h', heap, registers: [] });
    const gauge = new Gauge({ name: `${name}_gauge`, help: 'h', heap, registers: [] });
    const histogram = new Histogram({ name: `${name}_seconds`, help: 'h', buckets: [-1, 0, 1, 1e300], heap, registers: [] });
    const summary = new Summary({ name: `${name}_bytes`, help: 'h', heap, registers: [] });
    let counted = 0;
    let observed = 0;
    await fc.assert(
      // (objects are left out: as the first argument they are label sets, and `inc({})` adds 1 as in prom-client)
      fc.asyncProperty(fc.oneof(anyNumber, fc.constantFrom(null, true, false, 1n, Symbol('s'), () => 1), fc.string({ maxLength: 5 })), async (value) => {
        const finite = typeof value === 'number' && Number.isFinite(value);
        // a counter only goes up: a finite increment ≥ 0 is taken (even one that overflows the total to +Inf, as in
        // prom-client), anything else refused
        const incError = outcome(() => counter.inc(value as number));
        expect(incError === undefined, `inc(${String(value)}): ${incError?.message}`).toBe(finite && (value as number) >= 0);
        if (incError === undefined) counted += value as number;
        expect((await counter.get()).values[0]?.value ?? 0).toBe(counted);

        const setError = outcome(() => gauge.set(value as number));
        expect(setError === undefined, `set(${String(value)})`).toBe(finite);
        if (finite) expect((await gauge.get()).values[0]!.value).toBe(value);

        const observeError = outcome(() => histogram.observe(value as number));
        const summaryError = outcome(() => summary.observe(value as number));
        expect(observeError === undefined, `observe(${String(value)})`).toBe(finite);
        expect(summaryError === undefined, `summary observe(${String(value)})`).toBe(finite);
        if (finite) observed++;
        const count = (await histogram.get()).values.find((v) => v.metricName === `${name}_seconds_count`)?.value ?? 0;
        expect(count).toBe(observed);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('and everything recorded above', () => {
  it('exports to text that promtool and the OpenMetrics parser accept, with the label values given', async () => {
    const exporter = new HeapExporter(heap);
    const text = await exporter.metrics('prometheus');
    // (the random names draw naming advice from promtool's linter by the hundred: accepted, not printed)
    expectAcceptedByPromtool(promtool(findPromtool(), text), 'property-test heap, text 0.0.4', { quiet: true });
    const python = findPython();
    expect(pythonParse(python, text, 'prometheus').error).toBeUndefined();
    const parsed = pythonParse(python, await exporter.metrics('openmetrics'), 'openmetrics');
    expect(parsed.error).toBeUndefined();
    // the label values read back are the ones recorded (every route of prop_values_total)
    const routes = parsed.families!.find((f) => f.name === 'prop_values')!.samples.filter((s) => s[0] === 'prop_values_total').map((s) => s[1].route);
    expect(routes.length).toBeGreaterThan(0);
  });
});
