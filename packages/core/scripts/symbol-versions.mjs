// What a built addon asks of the system: its ELF machine and the highest GLIBC_, GLIBCXX_, CXXABI_ and GCC_ symbol
// versions it is bound to (from `objdump -T` and `objdump -p`). Shared by build-prebuilds.mjs, which refuses a binary above the
// floors, and test/prebuilds.test.ts, which checks the shipped files.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The most a prebuilt addon may ask, per symbol-version family: what RHEL 8 ships (glibc 2.28; GCC 8's libstdc++
 * and libgcc_s). Debian 10 and Ubuntu 20.04 have as much or more.
 */
export const FLOORS = { GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11', GCC: '7.0.0' };

const MACHINES = { 62: 'x86_64', 183: 'aarch64' };

/** Compares dotted versions numerically: '2.9' < '2.28'. */
export function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** e_machine of a little-endian ELF file, by name where we know it. */
export function elfMachine(file) {
  const fd = openSync(file, 'r');
  const header = Buffer.alloc(20);
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return 'not ELF';
  const machine = header.readUInt16LE(18);
  return MACHINES[machine] ?? `e_machine ${machine}`;
}

/**
 * `{ machine, highest, culprits }`: `highest` maps each family (GLIBC, GLIBCXX, CXXABI, GCC) to the highest version
 * the file is bound to (absent when it uses none); `culprits` maps it to the symbols bound to that version.
 */
export function requiredVersions(file, objdump = 'objdump') {
  const table = execFileSync(objdump, ['-T', file], { encoding: 'utf8' });
  /** @type {Record<string, string>} */
  const highest = {};
  /** @type {Record<string, string[]>} */
  const culprits = {};
  // "0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.33) fstat64"; older binutils omit the parentheses
  for (const match of table.matchAll(/\b(GLIBC|GLIBCXX|CXXABI|GCC)_(\d+(?:\.\d+)*)\)?\s+(\S+)\s*$/gm)) {
    const [, family, version, symbol] = match;
    const order = highest[family] === undefined ? 1 : compareVersions(version, highest[family]);
    if (order > 0) {
      highest[family] = version;
      culprits[family] = [];
    }
    if (order >= 0) culprits[family].push(symbol);
  }
  // The loader checks every version the file requires, and some are bound to no symbol (GLIBC_ABI_DT_RELR from
  // `-z pack-relative-relocs`, GLIBC_PRIVATE): read them from the Version References too, and keep any name outside
  // the numbered families, which no floor can vouch for.
  const references = execFileSync(objdump, ['-p', file], { encoding: 'utf8' });
  /** @type {string[]} */
  const unknown = [];
  const section = references.slice(Math.max(0, references.indexOf('Version References:')));
  for (const [, name] of section.matchAll(/^\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)\s*$/gm)) {
    const numbered = /^(GLIBC|GLIBCXX|CXXABI|GCC)_(\d+(?:\.\d+)*)$/.exec(name);
    if (numbered === null) {
      unknown.push(name);
      continue;
    }
    const [, family, version] = numbered;
    if (highest[family] === undefined || compareVersions(version, highest[family]) > 0) {
      highest[family] = version;
      culprits[family] = ['(a version reference bound to no symbol)'];
    }
  }
  return { machine: elfMachine(file), highest, culprits, unknown };
}

/**
 * One line per family above its floor in FLOORS, naming the symbols that need it, and one per required version
 * outside those families; empty when all are within.
 */
export function aboveFloors(versions) {
  return [
    ...Object.entries(FLOORS)
      .filter(([family, floor]) => versions.highest[family] !== undefined && compareVersions(versions.highest[family], floor) > 0)
      .map(([family, floor]) => `${family}_${versions.highest[family]} > ${family}_${floor} (${versions.culprits[family].join(', ')})`),
    ...(versions.unknown ?? []).map((name) => `${name}: a required version that no floor covers`),
  ];
}
