// The exposition writer's bytes, pinned: every metric type in both formats, with and without constant labels, for
// the seeded snapshots of support/golden-families.ts, against fixtures/exposition-golden.txt (written by the
// writer as it was before its rewrite for speed, 2026-12-07). A change to the output must change that file, on purpose.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { leaseExpositionBytes, writeExposition, writeExpositionBytes } from '../src/index.js';
import { GOLDEN_CONST_LABELS, GOLDEN_SEEDS, goldenFamilies } from './support/golden-families.js';

const golden = fs.readFileSync(fileURLToPath(new URL('./fixtures/exposition-golden.txt', import.meta.url)), 'utf8');

/** The golden file's sections by heading: "seed S, const labels C, format". */
const sections = new Map<string, string>();
for (const part of golden.split(/^=== /m).slice(1)) {
  const newline = part.indexOf('\n');
  sections.set(part.slice(0, newline), part.slice(newline + 1));
}

describe('exposition golden output', () => {
  it('covers every section it names', () => {
    expect(sections.size).toBe(GOLDEN_SEEDS.length * GOLDEN_CONST_LABELS.length * 2);
  });

  for (const seed of GOLDEN_SEEDS) {
    it(`seed ${seed}: byte for byte, both formats, every constant-label set`, () => {
      for (const [c, constLabels] of GOLDEN_CONST_LABELS.entries()) {
        for (const format of ['prometheus', 'openmetrics'] as const) {
          const expected = sections.get(`seed ${seed}, const labels ${c}, ${format}`);
          expect(expected).toBeDefined();
          const text = writeExposition(goldenFamilies(seed), format, constLabels);
          expect(text).toBe(expected);
          // and as bytes: a lone surrogate must become the same replacement character
          expect(Buffer.from(text).equals(Buffer.from(expected!))).toBe(true);
          expect(writeExpositionBytes(goldenFamilies(seed), format, constLabels).equals(Buffer.from(expected!))).toBe(true);
          const lease = leaseExpositionBytes(goldenFamilies(seed), format, constLabels);
          expect(lease.bytes.equals(Buffer.from(expected!))).toBe(true);
          lease.release();
        }
      }
    });
  }
});
