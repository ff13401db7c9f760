// This process's figures from Linux's /proc, read as prom-client reads them (synchronous reads of /proc never
// block: it is a view of kernel data, not I/O). Each returns undefined when /proc cannot tell.
import fs from 'node:fs';

export interface ProcessMemory {
  /** VmRSS, VmSize, VmData of /proc/self/status, in bytes. */
  readonly resident: number;
  readonly virtual: number;
  readonly heap: number;
}

/** Parses /proc/<pid>/status text. */
function memoryFromStatus(status: string): ProcessMemory | undefined {
  const kib = (field: string): number | undefined => {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB$`, 'm').exec(status);
    return m === null ? undefined : Number(m[1]) * 1024;
  };
  const resident = kib('VmRSS');
  const virtual = kib('VmSize');
  const heap = kib('VmData');
  return resident === undefined || virtual === undefined || heap === undefined ? undefined : { resident, virtual, heap };
}

export function processMemory(): ProcessMemory | undefined {
  try {
    return memoryFromStatus(fs.readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return undefined;
  }
}

export function openFileDescriptors(): number | undefined {
  try {
    return fs.readdirSync('/proc/self/fd').length - 1; // less the one readdirSync had open
  } catch {
    return undefined;
  }
}

/** Parses the "Max open files" soft limit out of /proc/<pid>/limits text. */
function maxFdsFromLimits(limits: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/ {2,}/)[1];
  const n = Number(soft);
  return soft === undefined || !Number.isFinite(n) ? undefined : n;
}

export function maxFileDescriptors(): number | undefined {
  try {
    return maxFdsFromLimits(fs.readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}
