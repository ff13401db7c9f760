// Idle-series expiry, as seen from one thread's Heap (the sweep itself is in expiry.ts): the timer that runs
// maintenance, this thread's handles on series that can expire (detached when their series is retired), and the
// sweep epoch this thread has acknowledged, below which no sweeper reuses memory.
import { familyMeta, forEachFamily } from './families.js';
import { forEachRetiredSince, reclaim, sweep, type ExpiringFamily } from './expiry.js';
import type { ExpiringHandle } from './cell-handle.js';
import type { HeapFile } from './heap-file.js';
import { lockByte, unlockByte } from './heap-io.js';
import { Lane, NOTHING_EXPIRING } from './lanes.js';
import { H, LOCK } from './layout.js';

/** How often a process holding series that can expire looks for retirements, at most (see expiry.ts). */
const MAINTENANCE_MS = 1000;
/** Sweeps for idle series run every quarter of the shortest TTL, within these bounds. */
const MIN_SWEEP_MS = 50;
const MAX_SWEEP_MS = 15_000;

function sweepIntervalMs(ttlSeconds: number): number {
  return Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, (ttlSeconds * 1000) / 4));
}

export class ExpiryMaintainer {
  readonly #file: HeapFile;
  /** This thread's lane, claimed if need be. */
  readonly #claimLane: () => Lane;
  /** This thread's lane if it has claimed one. */
  readonly #ownLane: () => Lane | undefined;
  /** Idle-series expiry (expiry.ts): this thread's handles on series that can expire, by series record. */
  readonly #handles = new Map<number, Set<ExpiringHandle>>();
  readonly #onRetired = new Set<(series: readonly number[]) => void>();
  /** The sweep epoch this thread has acknowledged; NOTHING_EXPIRING until it holds a series that can expire. */
  #acked = NOTHING_EXPIRING;
  #maintenance: NodeJS.Timeout | undefined;
  /** Whether a failure of the maintenance timer has been said (see #maintainFromTimer). */
  #maintenanceWarned = false;
  #maintenanceMs = MAINTENANCE_MS;
  /** Families with a TTL, by family record (0: none), from their metadata. */
  readonly #ttls = new Map<number, number>();

  constructor(file: HeapFile, claimLane: () => Lane, ownLane: () => Lane | undefined) {
    this.#file = file;
    this.#claimLane = claimLane;
    this.#ownLane = ownLane;
  }

  /** The sweep epoch this thread has acknowledged; NOTHING_EXPIRING until it holds a series that can expire. */
  get acked(): number {
    return this.#acked;
  }

  /**
   * This thread is about to hold pointers to series that can expire (to write or read a family with a TTL): from
   * now on it acknowledges retirements (expiry.ts) from a timer, and their memory is not reused before it has.
   */
  holdExpiringSeries(): void {
    if (this.#acked !== NOTHING_EXPIRING) return;
    this.#acked = Atomics.load(this.#file.header, H.SWEEP_EPOCH);
    this.#claimLane().acknowledgeSweep(this.#acked);
    this.#startMaintenance();
  }

  #startMaintenance(): void {
    if (this.#maintenance !== undefined) clearInterval(this.#maintenance);
    this.#maintenance = setInterval(() => this.#maintainFromTimer(), this.#maintenanceMs);
    this.#maintenance.unref();
  }

  /**
   * maintain() from its timer, which must not crash the application (a damaged heap throws
   * MPM_ERR_HEAP_CORRUPT from the sweep): the error is said once as a process warning, and later runs try again.
   */
  #maintainFromTimer(): void {
    try {
      this.maintain();
    } catch (error) {
      if (!this.#maintenanceWarned) process.emitWarning(error as Error);
      this.#maintenanceWarned = true;
    }
  }

  /**
   * Makes the series of `family` expire once idle for `ttlSeconds` (the family's metadata says so too, for
   * every process), and calls `onRetired` in this thread with series retired since its last look, before their
   * memory can be reused: drop everything kept of them.
   */
  expireIdle(family: number, ttlSeconds: number, onRetired: (series: readonly number[]) => void): void {
    this.#ttls.set(family, ttlSeconds);
    this.#onRetired.add(onRetired);
    this.holdExpiringSeries();
    const ms = Math.min(MAINTENANCE_MS, sweepIntervalMs(ttlSeconds));
    if (ms < this.#maintenanceMs) {
      this.#maintenanceMs = ms;
      this.#startMaintenance();
    }
  }

  /** Remembers a handle on a series that can expire, to detach it when the series is retired. */
  track(series: number, handle: ExpiringHandle): void {
    let handles = this.#handles.get(series);
    if (handles === undefined) this.#handles.set(series, (handles = new Set()));
    handles.add(handle);
  }

  untrack(series: number, handle: ExpiringHandle): void {
    const handles = this.#handles.get(series);
    if (handles?.delete(handle) === true && handles.size === 0) this.#handles.delete(series);
  }

  /**
   * Idle-series housekeeping, run from a timer: acknowledges retirements (detaching this thread's handles on
   * retired series), and, when a sweep is due and no other process is sweeping, sweeps the families with a TTL
   * and frees what every process has moved past. Call it to run it now.
   */
  maintain(): void {
    if (this.#file.closed) return;
    this.#acknowledge();
    const header = this.#file.header;
    const nextSweep = new Float64Array(header.buffer, header.byteOffset, H.NEXT_SWEEP_F64 + 1);
    const now = Date.now();
    const families = this.#expiringFamilies();
    if (families.length === 0 && Atomics.load(header, H.RETIRED_HEAD) === 0) return;
    if (now < nextSweep[H.NEXT_SWEEP_F64]! && Atomics.load(header, H.RETIRED_HEAD) === 0) return;
    const fd = this.#file.fd;
    if (!lockByte(fd, LOCK.SWEEP, true)) return;
    try {
      Atomics.store(header, H.SWEEPER_PID, process.pid);
      if (now >= nextSweep[H.NEXT_SWEEP_F64]! && families.length > 0) {
        nextSweep[H.NEXT_SWEEP_F64] = now + Math.min(...families.map((f) => sweepIntervalMs(f.ttlSeconds)));
        if (sweep(this.#file, families, now / 1000) > 0) this.#acknowledge();
      }
      reclaim(this.#file, this.#lowestAcknowledged());
    } finally {
      unlockByte(fd, LOCK.SWEEP);
    }
  }

  /** Every family in the heap declared with a TTL (in its metadata), whoever declared it. */
  #expiringFamilies(): ExpiringFamily[] {
    const out: ExpiringFamily[] = [];
    forEachFamily(this.#file, (ptr) => {
      let ttl = this.#ttls.get(ptr);
      if (ttl === undefined) {
        let meta: { ttlSeconds?: unknown } | null = null;
        try {
          meta = JSON.parse(familyMeta(this.#file, ptr)) as { ttlSeconds?: unknown } | null;
        } catch {
          // not a metric's family
        }
        ttl = typeof meta?.ttlSeconds === 'number' && meta.ttlSeconds > 0 ? meta.ttlSeconds : 0;
        this.#ttls.set(ptr, ttl);
      }
      if (ttl > 0) out.push({ ptr, ttlSeconds: ttl });
    });
    return out;
  }

  /** The lowest epoch acknowledged by a lane held by a live writer (this thread's own lane included). */
  #lowestAcknowledged(): number {
    let lowest = this.#acked;
    const high = Atomics.load(this.#file.header, H.LANE_HIGH);
    for (let id = 0; id < high; id++) {
      if (id === this.#ownLane()?.id || !Lane.isHeld(this.#file, id)) continue;
      lowest = Math.min(lowest, Lane.ackedOf(this.#file, id));
    }
    return lowest;
  }

  /** Detaches this thread's handles on series retired since its last look, then acknowledges the epoch. */
  #acknowledge(): void {
    if (this.#acked === NOTHING_EXPIRING) return;
    const epoch = Atomics.load(this.#file.header, H.SWEEP_EPOCH);
    if (epoch === this.#acked) return;
    const retired: number[] = [];
    forEachRetiredSince(this.#file, this.#acked, (ptr) => {
      retired.push(ptr);
      const handles = this.#handles.get(ptr);
      if (handles === undefined) return;
      for (const handle of handles) handle.detach();
      this.#handles.delete(ptr);
    });
    if (retired.length > 0) for (const onRetired of this.#onRetired) onRetired(retired);
    this.#acked = epoch;
    this.#ownLane()?.acknowledgeSweep(epoch);
  }

  /** Stops the maintenance timer (the heap is closing). */
  stop(): void {
    if (this.#maintenance !== undefined) clearInterval(this.#maintenance);
    this.#maintenance = undefined;
  }
}
