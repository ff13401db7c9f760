// The must-show under emulation: arm64 Node (22 and 24, under qemu-user) loads @mpmetrics/core from a
// package laid out as npm installs it, picks prebuilds/linux-arm64 by itself, and two forked arm64 children count
// exactly into one counter. The parent here is x64 vitest; every process that touches the heap is arm64.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { arm64Binaries } from '../arm64-binaries.mjs';
import { emulatedEnv } from '../emulation.mjs';

const COUNT_SCRIPT = fileURLToPath(new URL('../count/installed-count.mjs', import.meta.url));
const CORE = fileURLToPath(new URL('../../../packages/core/', import.meta.url));
// Three arm64 Nodes start under qemu: tens of seconds on a busy 2-core machine.
const RUN_LIMIT_MS = 240_000;

interface ProcessFacts {
  pid: number;
  arch: string;
  node: string;
  addons: string[];
  nativePath: string | null;
}

interface CountResult {
  expected: number;
  total?: number;
  parent: ProcessFacts;
  children: ProcessFacts[];
}

let project: string;
let installedCore: string;

/** A project with @mpmetrics/core as npm lays it out (package.json, dist/, prebuilds/; no build/) and its peer. */
function layOutProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-arm64-project-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'arm64-count', private: true }));
  installedCore = path.join(dir, 'node_modules', '@mpmetrics', 'core');
  fs.mkdirSync(installedCore, { recursive: true });
  fs.copyFileSync(path.join(CORE, 'package.json'), path.join(installedCore, 'package.json'));
  for (const folder of ['dist', 'prebuilds']) fs.cpSync(path.join(CORE, folder), path.join(installedCore, folder), { recursive: true });
  fs.symlinkSync(fs.realpathSync(path.join(CORE, 'node_modules', 'prom-client')), path.join(dir, 'node_modules', 'prom-client'));
  return dir;
}

function runCount(node: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = emulatedEnv();
  delete env.MPMETRICS_NATIVE_PATH;
  delete env.MPMETRICS_DIR;
  return new Promise((resolve) => {
    execFile(node, [COUNT_SCRIPT, project], { env, timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  project = layOutProject();
});

describe.each(arm64Binaries())('arm64 Node %s under qemu', (major, node) => {
  it('two forked children count exactly into one counter, on the arm64 prebuild the loader picked by itself', { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
    expect(fs.existsSync(path.join(installedCore, 'build'))).toBe(false);
    const run = await runCount(node);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(run.stdout) as CountResult;
    const prebuilt = path.join(installedCore, 'prebuilds', 'linux-arm64', 'mpmetrics.glibc.node');
    const expected: Omit<ProcessFacts, 'pid'> = { arch: 'arm64', node: expect.stringMatching(new RegExp(`^v${major}\\.`)) as unknown as string, addons: [prebuilt], nativePath: null };
    expect(result.parent).toMatchObject(expected);
    expect(result.children).toHaveLength(2);
    for (const child of result.children) expect(child).toMatchObject(expected);
    expect(new Set([result.parent.pid, ...result.children.map((c) => c.pid)]).size).toBe(3);
    expect(result.total).toBe(result.expected);
  });
});
