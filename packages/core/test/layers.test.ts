// Keeps the source tree's layers one-way (their order is in source-layers.mjs, which `pnpm lint` also enforces): a
// module imports only from its own directory or from a layer below it, so no directory-level cycle can form
// (docs/ARCHITECTURE.md, "Packages and layers"). Between packages, the same: the dependency graph has no cycle.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../source-layers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');

function layerOf(file: string): number {
  const relative = path.relative(src, file);
  if (relative.replace(/\.[cm]?[jt]s$/, '') === 'index') return LAYERS.indexOf('index');
  const directory = relative.includes(path.sep) ? (relative.split(path.sep)[0] ?? '.') : '.';
  const layer = LAYERS.indexOf(directory);
  if (layer < 0) throw new Error(`${relative}: directory "${directory}" has no layer; add it to LAYERS`);
  return layer;
}

function sourceFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|cts|mts|cjs|mjs|js)$/.test(entry.name) ? [full] : [];
  });
}

/** Every relative specifier of import, export … from, import() and require(), type-only ones included. */
function relativeImports(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g, /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/g, /\brequire\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/g, /^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1] ?? '');
  return found;
}

/** The import edges that go up a layer, as "importer -> imported". */
function upwardImports(files: readonly string[], read = (file: string) => fs.readFileSync(file, 'utf8')): string[] {
  const wrong: string[] = [];
  for (const file of files) {
    for (const specifier of relativeImports(read(file))) {
      const target = path.resolve(path.dirname(file), specifier);
      if (layerOf(target) > layerOf(file)) wrong.push(`${path.relative(src, file)} -> ${path.relative(src, target)}`);
    }
  }
  return wrong;
}

describe('layers', () => {
  it('every module of src imports only its own layer or the layers below', () => {
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(50);
    expect(upwardImports(files)).toEqual([]);
  });

  it('the check sees an upward import, type-only or dynamic', () => {
    const probe = path.join(src, 'heap', 'probe.ts');
    const texts = [
      "import type { FamilySnapshot } from '../metrics/family-reader.js';\n",
      "export { readFamily } from '../metrics/family-reader.js';\n",
      "const m = await import('../registry/heap-exporter.js');\n",
      "const m = require('../index.js');\n",
    ];
    for (const text of texts) expect(upwardImports([probe], () => text)).toHaveLength(1);
    expect(upwardImports([probe], () => "import { MpmetricsError } from '../errors.js';\nimport { x } from './layout.js';\n")).toEqual([]);
  });

  it('pnpm lint refuses an upward import too (no-restricted-imports from source-layers.mjs), and passes the others', async () => {
    const eslint = new ESLint({ cwd: root });
    const errorsOf = async (file: string, text: string): Promise<string[]> => {
      const [result] = await eslint.lintText(text, { filePath: path.join(src, file) });
      return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
    };
    const upward = [
      "import type { FamilySnapshot } from '../metrics/family-reader.js';\nexport type T = FamilySnapshot;\n",
      "export { readFamily } from '../metrics/family-reader.js';\n",
      "export * from '../index.js';\n",
    ];
    for (const text of upward) expect(await errorsOf('heap/probe.ts', text)).toHaveLength(1);
    expect(await errorsOf('probe.ts', "export * from './native/addon.js';\n")).toHaveLength(1);
    expect(await errorsOf('heap/probe.ts', "export { MpmetricsError } from '../errors.js';\nexport * from './layout.js';\n")).toEqual([]);
    expect(await errorsOf('registry/probe.ts', "export * from '../metrics/counter.js';\nexport * from '../heap/heap.js';\n")).toEqual([]);
  });

  it('the workspace packages depend on each other without a cycle', () => {
    const workspace = path.resolve(root, '..', '..');
    const manifests = ['packages', 'apps', 'tooling'].flatMap((group) =>
      fs.readdirSync(path.join(workspace, group), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(workspace, group, entry.name, 'package.json')))
        .map((entry) => JSON.parse(fs.readFileSync(path.join(workspace, group, entry.name, 'package.json'), 'utf8')) as {
          name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; peerDependencies?: Record<string, string>;
        }));
    const names = new Set(manifests.map((manifest) => manifest.name));
    const edges = new Map(manifests.map((manifest) => [manifest.name, Object.keys({
      ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies,
    }).filter((name) => names.has(name) && name !== manifest.name)]));
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (name: string, trail: string[]): void => {
      if (trail.includes(name)) { cycles.push([...trail.slice(trail.indexOf(name)), name].join(' -> ')); return; }
      if (done.has(name)) return;
      for (const next of edges.get(name) ?? []) visit(next, [...trail, name]);
      done.add(name);
    };
    for (const name of names) visit(name, []);
    expect(names.size).toBeGreaterThan(5);
    expect(cycles).toEqual([]);
  });
});
