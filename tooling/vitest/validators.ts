// The reference tools the exposition tests check our output with: `promtool check metrics` (Debian package
// `prometheus`) and the parsers of python3-prometheus-client (text format and OpenMetrics). What the tools do and
// how their results are read is described in packages/core/test/exposition-validators.test.ts. Shared by core's
// tests and the web integrations' (tooling/http-test).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

/** The two exposition formats, as @mpmetrics/core names them. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

function onPath(name: string): string[] {
  return (process.env['PATH'] ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, name))
    .filter((file) => {
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
      } catch {
        return false;
      }
    });
}

export function findPromtool(): string {
  const found = onPath('promtool')[0];
  if (found === undefined) {
    throw new Error('promtool is not on PATH: install the Debian package "prometheus" (apt-get install -y --no-install-recommends prometheus)');
  }
  return found;
}

/**
 * A python3 that can import prometheus_client. The Debian package installs it for /usr/bin/python3, which is not
 * always the first python3 on PATH (pyenv shims, virtualenvs): every candidate is tried.
 */
export function findPython(): string {
  const candidates = [...new Set([...onPath('python3'), '/usr/bin/python3'])];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import prometheus_client.parser, prometheus_client.openmetrics.parser'], { encoding: 'utf8' });
    if (probe.status === 0) return python;
  }
  throw new Error(
    `no python3 that can import prometheus_client (tried ${candidates.join(', ')}): install the Debian package ` +
      '"python3-prometheus-client" (apt-get install -y --no-install-recommends python3-prometheus-client)',
  );
}

export interface PromtoolResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stderr lines of the form "<metric> <problem>" */
  lints: string[];
}

const LINT_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]* \S.*$/;

export function promtool(tool: string, text: string): PromtoolResult {
  const run = spawnSync(tool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, lints: lines.filter((l) => LINT_LINE.test(l) && !l.startsWith('error')) };
}

/** promtool parsed the text: exit 0 with nothing to say, or 3 with lint problems only. Returns the problems. */
export function expectAcceptedByPromtool(result: PromtoolResult, what: string, { quiet = false } = {}): string[] {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  const detail = `${what}: promtool exited ${result.status}\n${result.stderr}`;
  expect(result.stdout, detail).toBe('');
  expect(lines.filter((l) => !result.lints.includes(l)), detail).toEqual([]); // nothing but lint lines
  expect(result.status, detail).toBe(result.lints.length === 0 ? 0 : 3);
  if (result.lints.length > 0 && !quiet) console.log(`[promtool] ${what}: ${result.lints.length} lint problem(s):\n  ${result.lints.join('\n  ')}`);
  return result.lints;
}

// Prints { families: [{ name, type, help, samples: [[name, labels, value]] }] } or { error }; non-finite values
// as "nan", "inf", "-inf" (JSON has no words for them).
/** promtool parsed the text: exit 0, or 3 with lint lines only. Returns a description of what is wrong, or ''. */
export function promtoolProblem(result: PromtoolResult): string {
  const other = result.stderr.split('\n').filter((l) => l !== '' && !result.lints.includes(l));
  if (result.stdout === '' && other.length === 0 && result.status === (result.lints.length === 0 ? 0 : 3)) return '';
  return `promtool exited ${result.status}\n${result.stdout}${result.stderr}`;
}

export interface PyExemplar {
  labels: Record<string, string>;
  value: number;
  timestamp: number | null;
}

/** [sample name, labels, value ("nan", "inf", "-inf" for the non-finite), exemplar or null] */
export type PySample = [string, Record<string, string>, number | string, PyExemplar | null];

export interface PyFamily {
  name: string;
  type: string;
  help: string;
  samples: PySample[];
}

const PYTHON_PARSE = `
import sys, json, math
fmt = sys.argv[1]
if fmt == 'openmetrics':
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
text = sys.stdin.buffer.read().decode('utf-8')
def num(v):
    return repr(v) if isinstance(v, float) and not math.isfinite(v) else v
def exemplar(e):
    if e is None:
        return None
    ts = e.timestamp
    if ts is not None and not isinstance(ts, (int, float)):
        ts = ts.sec + ts.nsec / 1e9
    return {'labels': e.labels, 'value': e.value, 'timestamp': ts}
try:
    families = [{'name': f.name, 'type': f.type, 'help': f.documentation,
                 'samples': [[s.name, s.labels, num(s.value), exemplar(s.exemplar)] for s in f.samples]}
                for f in text_string_to_metric_families(text)]
except Exception as e:
    sys.stdout.write(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
    sys.exit(1)
sys.stdout.write(json.dumps({'families': families}))
`;

export function pythonParse(python: string, text: string, format: ExpositionFormat): { families?: PyFamily[]; error?: string } {
  const run = spawnSync(python, ['-c', PYTHON_PARSE, format === 'openmetrics' ? 'openmetrics' : 'text'], {
    input: text,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  try {
    return JSON.parse(run.stdout) as { families?: PyFamily[]; error?: string };
  } catch {
    throw new Error(`the python parser crashed (exit ${run.status}):\n${run.stderr}`);
  }
}

export function pyValue(v: number | string): number {
  if (typeof v === 'number') return v;
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  throw new Error(`unexpected value ${v}`);
}

/**
 * A decoder of the protobuf exposition that shares no code with ours: Python classes that protoc generates from
 * proto/metrics.proto (the published message definitions), run by Python's protobuf runtime (Debian packages
 * `protobuf-compiler` and `python3-protobuf`). Generated once per test process, into a temporary directory.
 */
let protoModule: { dir: string; python: string } | undefined;

function protobufDecoder(): { dir: string; python: string } {
  if (protoModule !== undefined) return protoModule;
  const protoc = onPath('protoc')[0];
  if (protoc === undefined) throw new Error('protoc is not on PATH: install the Debian package "protobuf-compiler"');
  const candidates = [...new Set([...onPath('python3'), '/usr/bin/python3'])];
  const python = candidates.find((p) => spawnSync(p, ['-c', 'import google.protobuf.json_format, google.protobuf.timestamp_pb2']).status === 0);
  if (python === undefined) throw new Error(`no python3 that can import google.protobuf (tried ${candidates.join(', ')}): install the Debian package "python3-protobuf"`);
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env['TMPDIR'] ?? '/tmp'), 'mpm-proto-'));
  const protoDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'proto');
  const run = spawnSync(protoc, [`-I${protoDir}`, `--python_out=${dir}`, path.join(protoDir, 'metrics.proto')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`protoc failed: ${run.stderr}`);
  // the generated module imports Python's own google.protobuf.timestamp_pb2, not one made from our stand-in
  fs.rmSync(path.join(dir, 'google'), { recursive: true, force: true });
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return (protoModule = { dir, python });
}

const PYTHON_DECODE = `
import sys, json
sys.path.insert(0, sys.argv[1])
import metrics_pb2
from google.protobuf import json_format
from google.protobuf.internal.decoder import _DecodeVarint32
data = sys.stdin.buffer.read()
at = 0
out = []
while at < len(data):
    size, at = _DecodeVarint32(data, at)
    family = metrics_pb2.MetricFamily()
    family.ParseFromString(data[at:at + size])
    at += size
    out.append(json_format.MessageToDict(family, preserving_proto_field_name=True))
sys.stdout.write(json.dumps(out))
`;

/**
 * The MetricFamily messages of a delimited protobuf exposition, as protobuf's JSON mapping gives them (64-bit
 * integers as decimal strings, field names as in metrics.proto, fields left unset absent).
 */
export function decodeProtobuf(bytes: Uint8Array): Record<string, unknown>[] {
  const { dir, python } = protobufDecoder();
  const run = spawnSync(python, ['-c', PYTHON_DECODE, dir], { input: bytes, encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`the protobuf decoder failed (exit ${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>[];
}
