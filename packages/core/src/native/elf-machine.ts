// glibc's dlopen reports a binary built for another CPU as "cannot open shared object file: No such file or
// directory", which sends a reader looking for a missing file. Reading the ELF header lets the error say what it is.
import fs from 'node:fs';

const MACHINES: Readonly<Record<number, string>> = { 3: 'ia32', 40: 'arm', 62: 'x64', 183: 'arm64', 243: 'riscv64' };

/** " (built for arm64; this process is x64)" when `file` is an ELF object for another CPU, else "". */
export function machineMismatch(file: string): string {
  let header: Buffer;
  try {
    header = Buffer.alloc(20);
    const fd = fs.openSync(file, 'r');
    try {
      if (fs.readSync(fd, header, 0, 20, 0) < 20) return '';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[5] !== 1) return ''; // not a little-endian ELF file
  const machine = header.readUInt16LE(18);
  const name = MACHINES[machine] ?? `ELF machine ${machine}`;
  return name === process.arch ? '' : ` (built for ${name}; this process is ${process.arch})`;
}
