// How this process orders its accesses to the shared heap (docs/ARCHITECTURE.md, "Memory ordering"). Chosen once
// per process, by CPU: on x86-64 (TSO) the seqlocks' plain typed-array loads and stores are ordered as they are
// written; on every other CPU (arm64 first) plain accesses may pass the sequence word's, so everything ordered
// against a sequence or ownership word goes through Atomics. Both paths lay the heap out identically (doubles
// stay 8-byte words; the Atomics path moves them as two 32-bit halves), so processes on either path share a heap.
import { MpmetricsError } from '../errors.js';

export type MemoryOrder = 'plain' | 'atomics';

/** What MPMETRICS_MEMORY_ORDER may say: `auto` (the default: by CPU) or `atomics` (forces the arm64 path anywhere). */
const MEMORY_ORDER_VALUES = ['auto', 'atomics'] as const;

/**
 * The path for a CPU and a setting of MPMETRICS_MEMORY_ORDER; a setting that is neither allowed value is a coded
 * error (plain order cannot be forced: on a weakly ordered CPU it would be silently wrong).
 */
export function memoryOrderOf(arch: string, setting: string | undefined): MemoryOrder | MpmetricsError {
  if (setting === 'atomics') return 'atomics';
  if (setting === undefined || setting === '' || setting === 'auto') return arch === 'x64' ? 'plain' : 'atomics';
  return new MpmetricsError(
    'MPM_ERR_MEMORY_ORDER',
    `MPMETRICS_MEMORY_ORDER must be one of ${MEMORY_ORDER_VALUES.map((v) => `"${v}"`).join(', ')} (or unset), received ${JSON.stringify(setting)}`,
  );
}

const chosen = memoryOrderOf(process.arch, process.env.MPMETRICS_MEMORY_ORDER);

/** This process's path; read once, at load, so that every cell of the process takes the same one. */
export const MEMORY_ORDER: MemoryOrder = chosen instanceof MpmetricsError ? 'atomics' : chosen;

/** Whether shared values go through Atomics (the arm64 path). A constant: the hot path tests it per update. */
export const ATOMIC_ORDER = MEMORY_ORDER === 'atomics';

/** Throws the setting's error, if it had one: called where a heap is opened, not at import. */
export function checkMemoryOrder(): void {
  if (chosen instanceof MpmetricsError) throw chosen;
}
