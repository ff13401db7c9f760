// The release path end to end: check.mjs packs every public package (prepack builds), lints each tarball with
// publint, installs them with npm and with pnpm 12 (nothing approved) where no compiler is on PATH, and runs a
// CommonJS, an ESM and a TypeScript (nodenext; bundler type-checked) consumer whose two forked children each add
// PACK_INSTALL_COUNT to one counter; then builds the addon from source in the npm project (mpmetrics-build-native)
// and counts again on that build. Runs on the current Node; PACK_INSTALL_NODE picks another for the consumers.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

interface Report {
  readonly count: number;
  readonly problems: string[];
  readonly consumers: { manager: string; file: string; line: string; addon: string }[];
  readonly sourceBuilt: { manager: string; file: string; line: string; addon: string }[];
  readonly timings: Record<string, number>;
}

it('installs the packed tarballs with npm and pnpm, no compiler, and two forked processes count exactly', () => {
  const check = fileURLToPath(new URL('../check.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [check], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as Report;
  console.log(JSON.stringify(report.timings));
  expect(report.problems).toEqual([]);
  const expected = `pack_install_total ${2 * report.count}`;
  expect(report.consumers.map((c) => `${c.manager} ${c.file}: ${c.line}`)).toEqual(
    ['npm', 'pnpm'].flatMap((manager) => ['count.cjs', 'count.mjs', 'ts-out/count-ts.mjs'].map((file) => `${manager} ${file}: ${expected}`)),
  );
  // `npx mpmetrics-build-native` in the installed package, then the loader takes its build/Release over the prebuild
  expect(report.sourceBuilt.map((c) => `${c.manager} ${c.file}: ${c.line} from ${c.addon.slice(c.addon.indexOf('/node_modules/'))}`)).toEqual([
    `npm (built from source) count.cjs: ${expected} from /node_modules/@mpmetrics/core/build/Release/mpmetrics.node`,
  ]);
  expect(run.status).toBe(0);
});
