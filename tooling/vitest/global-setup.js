// Each test run gets its own temporary directory (TMPDIR) and no inherited MPMETRICS_DIR: private heaps the tests
// make, and the one the library reserves when a test worker imports it, all land there and go with it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-test-run-'));
  // Others may pass through (not list): tests run children as another user on directories inside.
  fs.chmodSync(root, 0o711);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  delete process.env.MPMETRICS_DIR;
  return () => {
    fs.rmSync(root, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  };
}
