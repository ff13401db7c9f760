// Exports every family in the heap, whoever declared it: for a cluster primary or a sidecar that declares no
// metric itself but answers /metrics for all processes. Before it reads, it runs the collect() of every metric
// this process declared in that heap (awaited, as prom-client's registry awaits them), so values set at scrape
// time are as fresh here as through `register.metrics()`.
import { defaultHeap } from '../heap/default-heap.js';
import type { Heap } from '../heap/heap.js';
import { negotiateFormat } from '../exposition/negotiate.js';
import type { ExpositionLease } from '../exposition/exposition-bytes.js';
import { checkFormat, contentTypeOf, leaseExpositionBytes, writeExposition, writeExpositionBytes, type ExpositionFormat } from '../exposition/writer.js';
import { runCollects } from '../metrics/collectors.js';
import { parseMeta } from '../metrics/family-meta.js';
import { FamilyReadCache, readFamily, SCRAPE_READ_BUDGET_MS, type FamilySnapshot } from '../metrics/family-reader.js';

export interface ExportedMetrics {
  readonly contentType: string;
  readonly body: string;
}

export class HeapExporter {
  readonly #heap: Heap | undefined;
  readonly #readCaches = new Map<number, FamilyReadCache>();

  /** Exports `heap`, or this thread's default heap (MPMETRICS_DIR). */
  constructor(heap?: Heap) {
    this.#heap = heap;
  }

  /**
   * Every family in the heap with its live series, sorted by name, after the collect() of every metric declared in
   * this process on that heap ran. Rejects with the error of a collect that throws, as `register.metrics()` does.
   */
  async snapshot(): Promise<FamilySnapshot[]> {
    const heap = this.#heap ?? defaultHeap();
    await runCollects(heap);
    return heap.readWithin(SCRAPE_READ_BUDGET_MS, () => this.#read(heap));
  }

  #read(heap: Heap): FamilySnapshot[] {
    const out: FamilySnapshot[] = [];
    for (const family of heap.families()) {
      const meta = parseMeta(family.meta);
      if (meta === undefined) continue; // a family made through the raw Heap API, not a metric
      let cache = this.#readCaches.get(family.ptr);
      if (cache === undefined) this.#readCaches.set(family.ptr, (cache = new FamilyReadCache()));
      out.push(readFamily(heap, family.ptr, family.name, meta, cache));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The exposition in `format` (default: the Prometheus text format). */
  async metrics(format: ExpositionFormat = 'prometheus'): Promise<string> {
    return writeExposition(await this.snapshot(), format);
  }

  /** The same exposition as UTF-8 bytes, what an HTTP response sends: cheaper than `metrics()` for large scrapes. */
  async metricsBytes(format: ExpositionFormat = 'prometheus'): Promise<Buffer> {
    return writeExpositionBytes(await this.snapshot(), format);
  }

  /**
   * The same bytes as `metricsBytes()`, lent in a buffer that later scrapes reuse instead of copied into fresh
   * memory: read `bytes` until `release()`, then the buffer may hold another scrape. Never released, it is GC's.
   */
  async leaseMetricsBytes(format: ExpositionFormat = 'prometheus'): Promise<ExpositionLease> {
    checkFormat(format); // before the collects run
    return leaseExpositionBytes(await this.snapshot(), format);
  }

  /** The exposition in the format an HTTP Accept header asks for, with its Content-Type. */
  async respond(accept: string | undefined | null): Promise<ExportedMetrics> {
    const format = negotiateFormat(accept);
    return { contentType: contentTypeOf(format), body: await this.metrics(format) };
  }
}
