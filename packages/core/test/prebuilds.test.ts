// The prebuilt addons that ship in the npm tarball (scripts/build-prebuilds.mjs). Each asks no more of the system
// than RHEL 8 has (glibc 2.28, GCC 8's libstdc++); the x64 one loads in a package laid out without build/; a binary
// that is there but does not load is passed over with dlopen's reason; the arm64 one is an AArch64 ELF file (it is
// only cross-compiled here: running it under qemu is a later step); the tarball holds both and no install script.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FLOORS, aboveFloors, compareVersions, requiredVersions } from '../scripts/symbol-versions.mjs';
import { childEnv, fixture, killChildren, runChild } from './fixtures/lifetime-processes.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const loadChild = fixture('native-load-child.mjs');
const prebuilt = (root: string, arch: string): string => path.join(root, 'prebuilds', `linux-${arch}`, 'mpmetrics.glibc.node');

const targets = [
  { arch: 'x64', machine: 'x86_64', objdump: process.arch === 'x64' ? 'objdump' : 'x86_64-linux-gnu-objdump' },
  { arch: 'arm64', machine: 'aarch64', objdump: process.arch === 'arm64' ? 'objdump' : 'aarch64-linux-gnu-objdump' },
];

let base: string;
let count = 0;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-prebuilds-'));
});
afterEach(killChildren);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('each prebuilt addon', () => {
  it('compares versions by number, and the floors are those of RHEL 8', () => {
    expect(compareVersions('2.9', '2.28')).toBe(-1);
    expect(compareVersions('2.28', '2.28')).toBe(0);
    expect(compareVersions('3.4.30', '3.4.25')).toBe(1);
    expect(FLOORS).toEqual({ GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11', GCC: '7.0.0' });
  });

  it('a version the loader requires with no symbol bound to it (GLIBC_ABI_DT_RELR) is refused, not missed', () => {
    // what g++ makes with -z pack-relative-relocs on glibc 2.36+: objdump -T lists no symbol of that version
    const source = path.join(base, 'relr.c');
    const object = path.join(base, 'relr.so');
    fs.writeFileSync(source, '#include <string.h>\nstatic const char *s[] = { "a", "b", "c", "d" };\nsize_t f(int i) { return strlen(s[i]); }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-z,pack-relative-relocs', '-o', object, source]);
    const versions = requiredVersions(object);
    expect(versions.unknown).toEqual(['GLIBC_ABI_DT_RELR']);
    expect(aboveFloors(versions)).toEqual(['GLIBC_ABI_DT_RELR: a required version that no floor covers']);
  });

  for (const { arch, machine, objdump } of targets) {
    it(`linux-${arch} is a ${machine} ELF file asking at most GLIBC_2.28 and RHEL 8's libstdc++`, () => {
      const file = prebuilt(packageRoot, arch);
      expect(fs.existsSync(file), `${file} (built by scripts/build-prebuilds.mjs in \`pnpm build\`)`).toBe(true);
      const versions = requiredVersions(file, objdump);
      expect(versions.machine).toBe(machine);
      // it does use glibc, so an empty table would mean the parse broke, not that the binary is clean
      expect(versions.highest.GLIBC).toMatch(/^2\.\d+/);
      expect(compareVersions(versions.highest.GLIBC, '2.28')).toBeLessThanOrEqual(0);
      expect(versions.unknown).toEqual([]);
      expect(aboveFloors(versions)).toEqual([]);
    });
  }
});

describe('loading the prebuilt addon', () => {
  /** A package of dist/, package.json and prebuilds/ with no build/, as npm installs it; node_modules linked. */
  function installedLayout(): string {
    const pkg = path.join(base, `pkg-${++count}`);
    fs.mkdirSync(pkg);
    fs.copyFileSync(path.join(packageRoot, 'package.json'), path.join(pkg, 'package.json'));
    fs.cpSync(path.join(packageRoot, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    fs.cpSync(path.join(packageRoot, 'prebuilds'), path.join(pkg, 'prebuilds'), { recursive: true });
    fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(pkg, 'node_modules'));
    return pkg;
  }

  async function load(entry: string): Promise<{ result: Record<string, unknown>; stderr: string }> {
    // the loader's own error when nothing loads: without "shared", that gives an in-process heap (in-process-heap.test.ts)
    const env = childEnv({ TMPDIR: base, MPMETRICS_HEAP: 'shared' });
    delete env.MPMETRICS_NATIVE_PATH;
    const run = await runChild(loadChild, [entry], { env });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    return { result: run.json[0] as Record<string, unknown>, stderr: run.stderr };
  }

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('loads linux-x64 from a package without build/, silently', async () => {
    const pkg = installedLayout();
    expect(fs.existsSync(path.join(pkg, 'build'))).toBe(false);
    const viaBinding = await load(path.join(pkg, 'dist', 'native', 'binding.js'));
    expect(viaBinding).toEqual({ result: { ok: true, exports: ['binding'], abiVersion: 3, pageSize: expect.any(Number) }, stderr: '' });
    const viaIndex = await load(path.join(pkg, 'dist', 'index.js'));
    expect(viaIndex.stderr).toBe('');
    expect(viaIndex.result.exports).toEqual(expect.arrayContaining(['Heap', 'Counter', 'MpmetricsError']));
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    'passes over a build/Release that does not load, warning with dlopen\'s reason, and loads the prebuilt one',
    async () => {
      const pkg = installedLayout();
      const broken = path.join(pkg, 'build', 'Release', 'mpmetrics.node');
      fs.mkdirSync(path.dirname(broken), { recursive: true });
      fs.copyFileSync(prebuilt(packageRoot, 'arm64'), broken);
      const { result, stderr } = await load(path.join(pkg, 'dist', 'native', 'binding.js'));
      expect(result).toMatchObject({ ok: true, abiVersion: 3 });
      expect(stderr).toContain('MPM_WARN_NATIVE_SKIPPED');
      expect(stderr).toContain(`loaded its native addon from ${prebuilt(pkg, 'x64')}`);
      expect(stderr).toContain(`${broken}: ${broken}: cannot open shared object file`);
      expect(stderr).toContain('(built for arm64; this process is x64)');
    },
  );

  it.runIf(process.platform === 'linux' && process.arch === 'x64')(
    'when nothing loads, MPM_ERR_NATIVE_LOAD gives each reason and how to build from source',
    async () => {
      const pkg = installedLayout();
      fs.copyFileSync(prebuilt(packageRoot, 'arm64'), prebuilt(pkg, 'x64'));
      const { result, stderr } = await load(path.join(pkg, 'dist', 'index.js'));
      expect(stderr).toBe('');
      expect(result).toMatchObject({ ok: false, name: 'MpmetricsError', code: 'MPM_ERR_NATIVE_LOAD' });
      const message = result.message as string;
      expect(message).toContain(`  ${path.join(pkg, 'build', 'Release', 'mpmetrics.node')}: not found\n`);
      expect(message).toContain(`  ${prebuilt(pkg, 'x64')}: ${prebuilt(pkg, 'x64')}: cannot open shared object file`);
      expect(message).toContain('(built for arm64; this process is x64)');
      expect(message).toContain(`node ${path.join(pkg, 'scripts', 'build-native.mjs')} --force`);
    },
  );
});

describe('the npm tarball', () => {
  it('holds dist, both prebuilds and the sources to build from, and no install script nor root binding.gyp', () => {
    // --ignore-scripts: prepack would rebuild the prebuilds; the listing is what matters here
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as { files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/cjs/index.js',
        'prebuilds/linux-x64/mpmetrics.glibc.node',
        'prebuilds/linux-arm64/mpmetrics.glibc.node',
        'native/mpmetrics.cc',
        'native/binding.gyp',
        'scripts/build-native.mjs',
      ]),
    );
    // pnpm and npm run `node-gyp rebuild` for a package with a binding.gyp at its root
    expect(files).not.toContain('binding.gyp');
    expect(files.filter((f) => f.startsWith('native/build/') || f.startsWith('build/') || f.endsWith('.partial'))).toEqual([]);

    const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
    const scripts = manifest.scripts as Record<string, string>;
    expect(Object.keys(scripts).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s))).toEqual([]);
    expect(manifest.gypfile).toBe(false);
    expect(manifest.os).toBeUndefined();
    expect(Object.keys(manifest.dependencies as object)).not.toContain('node-gyp');
  });
});
