// A labels object finds its series through a lookup compiled per metric (label-tree.ts, compiledFind), or through
// the loop that stands in for it where code generation is disallowed: both must do exactly the same, refusals
// included. The fixture runs the same calls in a process of each kind.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/label-lookups.mjs', import.meta.url));

function run(flags: string[]): { results: string[]; exposition: string } {
  const child = spawnSync(process.execPath, [...flags, fixture], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as { results: string[]; exposition: string };
}

describe('label set lookup', () => {
  it('the compiled lookup and the loop (code generation disallowed) record and refuse the same', () => {
    const compiled = run([]);
    const loop = run(['--disallow-code-generation-from-strings']);
    expect(loop).toEqual(compiled);
    const refused = compiled.results.map((r) => (r === 'ok' ? 'ok' : r.split(':')[0]));
    expect(refused).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'MPM_ERR_LABELS',
      'MPM_ERR_LABELS',
      'MPM_ERR_LABELS', // null is not a label value
      'ok',
      'ok',
      'ok',
      'MPM_ERR_LABELS',
      'ok',
      'ok',
      'MPM_ERR_LABELS',
    ]);
    expect(compiled.exposition).toContain('lookups_two_total{method="GET",code="200"} 5\n');
    expect(compiled.exposition).toContain('lookups_two_total{method="GET"} 2\n');
    expect(compiled.exposition).toContain('lookups_two_total 1\n');
    expect(compiled.exposition).toContain('lookups_two_total{method="PUT",code="201"} 1\n');
    expect(compiled.exposition).toContain('lookups_one_seconds_count{route="/a"} 1\n');
    expect(compiled.exposition).toContain('lookups_one_seconds_count 1\n');
    expect(compiled.exposition).toContain('lookups_strict_total{a="1",b="2"} 1\n');
  });
});
