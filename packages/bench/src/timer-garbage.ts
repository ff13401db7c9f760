// What a timer allocates: unlabeled `startTimer()()` calls of ours, of prom-client and of a floor (a closure that
// reads process.hrtime.bigint() at start and end: what any timer must allocate), each in a fresh process whose
// young generation has a fixed size, so that the number of scavenges is proportional to the bytes allocated.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type TimerKind = 'ours' | 'promClient' | 'floor';

/** MB of each semi-space: fixed (min = max) so that a scavenge happens every this many MB allocated. */
const SEMI_SPACE_MB = 16;

export interface TimerGarbage {
  readonly calls: number;
  /** Bytes allocated per startTimer()() call, from the scavenges counted. */
  readonly bytesPerCall: Readonly<Record<TimerKind, number>>;
}

function scavenges(kind: TimerKind, calls: number): Promise<number> {
  const script = fileURLToPath(new URL('./timer-garbage-child.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`, '--import', 'tsx', script, kind, String(calls)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`timer garbage child (${kind}) exited with ${code}`))));
  });
}

export async function measureTimerGarbage(calls: number): Promise<TimerGarbage> {
  const bytesPerCall: Partial<Record<TimerKind, number>> = {};
  for (const kind of ['ours', 'promClient', 'floor'] as const) bytesPerCall[kind] = ((await scavenges(kind, calls)) * SEMI_SPACE_MB * 2 ** 20) / calls;
  return { calls, bytesPerCall: bytesPerCall as Record<TimerKind, number> };
}
