// Exports every family in the heap, whoever declared it: for a cluster primary or a sidecar that declares no
// metric itself but answers /metrics for all processes. Before it reads, it runs the collect() of every metric
// this process declared in that heap (awaited, as prom-client's registry awaits them), so values set at scrape
// time are as fresh here as through `register.metrics()`.
import { defaultHeap } from '../heap/default-heap.js';
import type { Heap } from '../heap/heap.js';
import { negotiateFormat, negotiateScrapeFormat, type ScrapeFormat } from '../exposition/negotiate.js';
import { PROTOBUF_CONTENT_TYPE, writeProtobuf } from '../exposition/protobuf-writer.js';
import { promClientFamilies, type PromClientMetricJson } from './prom-client-families.js';
import type { ExpositionBytes, ExpositionLease } from '../exposition/exposition-bytes.js';
import { checkFormat, checkRest, contentTypeOf, writeSources, type ExpositionFormat } from '../exposition/writer.js';
import { runCollects } from '../metrics/collectors.js';
import { frozenMeta, parseMeta, type FamilyMeta } from '../metrics/family-meta.js';
import { FamilyReadCache, heapFamilySource, readFamily, snapshotSource, SCRAPE_READ_BUDGET_MS, type FamilySnapshot, type FamilySource } from '../metrics/family-reader.js';

export interface ExportedMetrics {
  readonly contentType: string;
  readonly body: string;
}

export interface ExportedBytes {
  readonly contentType: string;
  readonly body: Buffer;
}

interface KnownFamily {
  readonly name: string;
  readonly ptr: number;
  /** The metadata as stored, and as parsed (undefined: not a metric's family). */
  readonly text: string;
  readonly meta: FamilyMeta | undefined;
  readonly cache: FamilyReadCache;
}

export class HeapExporter {
  readonly #heap: Heap | undefined;
  /** Each family record seen, by pointer: its name, metadata and read cache, kept across scrapes. */
  readonly #known = new Map<number, KnownFamily>();

  /** Exports `heap`, or this thread's default heap (MPMETRICS_DIR). */
  constructor(heap?: Heap) {
    this.#heap = heap;
  }

  /**
   * Every family in the heap with its live series, sorted by name, after the collect() of every metric declared in
   * this process on that heap ran. Rejects with the error of a collect that throws, as `register.metrics()` does.
   */
  async snapshot(): Promise<FamilySnapshot[]> {
    const heap = await this.#collected();
    return heap.readWithin(SCRAPE_READ_BUDGET_MS, () => this.#families(heap, (family, ptr, meta, cache) => readFamily(heap, ptr, family, meta, cache)));
  }

  /** This exporter's heap, after the collect() of every metric declared on it in this process ran. */
  async #collected(): Promise<Heap> {
    const heap = this.#heap ?? defaultHeap();
    await runCollects(heap);
    return heap;
  }

  /** `make` of every metric family in the heap, sorted by name; `cache` is the family's, kept across scrapes. */
  #families<T>(heap: Heap, make: (name: string, ptr: number, meta: FamilyMeta, cache: FamilyReadCache) => T): T[] {
    const found: KnownFamily[] = [];
    const families = heap.families();
    for (const family of families) {
      // the metadata is parsed once per family record (it never changes once published): the objects a scrape
      // reads through stay the same from one scrape to the next, and so does the code optimized for them
      let known = this.#known.get(family.ptr);
      if (known === undefined || known.text !== family.meta || known.name !== family.name) {
        const meta = parseMeta(family.meta);
        // frozen: the same object is in every snapshot() from now on, and a caller's change must not reach them
        known = { name: family.name, ptr: family.ptr, text: family.meta, meta: meta && frozenMeta(meta), cache: new FamilyReadCache() };
        this.#known.set(family.ptr, known);
      }
      if (known.meta !== undefined) found.push(known); // else a family made through the raw Heap API, not a metric
    }
    // a family record no longer in the heap (its name declared anew after register.clear()) takes its cache along
    if (this.#known.size > families.length) {
      const present = new Set(families.map((family) => family.ptr));
      for (const ptr of this.#known.keys()) if (!present.has(ptr)) this.#known.delete(ptr);
    }
    found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return found.map(({ name, ptr, meta, cache }) => make(name, ptr, meta!, cache));
  }

  /**
   * The exposition written straight from the heap, each series as it is read, with no snapshot made per series;
   * `end` takes it as a string, a copy or a lease.
   */
  async #written<T>(format: ExpositionFormat, end: (written: ExpositionBytes) => T, rest?: string): Promise<T> {
    const heap = await this.#collected();
    return heap.readWithin(SCRAPE_READ_BUDGET_MS, () => {
      const sources: FamilySource[] = this.#families(heap, (name, ptr, meta, cache) => heapFamilySource(heap, ptr, name, meta, cache, false));
      return end(writeSources(sources, format, undefined, rest));
    });
  }

  /** The exposition in `format` (default: the Prometheus text format). */
  async metrics(format: ExpositionFormat = 'prometheus'): Promise<string> {
    return this.#written(format, (written) => written.toString());
  }

  /**
   * The same exposition as UTF-8 bytes, what an HTTP response sends: cheaper than `metrics()` for large scrapes.
   * `rest` is another registry's exposition in the same format, written after the heap's families; in OpenMetrics
   * it must end with the `# EOF` line, which is then not written here.
   */
  async metricsBytes(format: ExpositionFormat = 'prometheus', rest?: string): Promise<Buffer> {
    checkRest(rest);
    return this.#written(format, (written) => written.copy(), rest);
  }

  /**
   * The same bytes as `metricsBytes()`, lent in a buffer that later scrapes reuse instead of copied into fresh
   * memory: read `bytes` until `release()`, then the buffer may hold another scrape. Never released, it is GC's.
   */
  async leaseMetricsBytes(format: ExpositionFormat = 'prometheus', rest?: string): Promise<ExpositionLease> {
    checkFormat(format); // before the collects run
    checkRest(rest);
    return this.#written(format, (written) => written.lease(), rest);
  }

  /**
   * The exposition in the text format an HTTP Accept header asks for, with its Content-Type. A string cannot hold
   * the protobuf exposition: respondBytes() answers a client that prefers it.
   */
  async respond(accept: string | undefined | null): Promise<ExportedMetrics> {
    const format = negotiateFormat(accept);
    return { contentType: contentTypeOf(format), body: await this.metrics(format) };
  }

  /**
   * The exposition in the format an HTTP Accept header asks for, protobuf included (what a Prometheus that
   * scrapes native histograms asks for), as bytes with their Content-Type.
   */
  async respondBytes(accept: string | undefined | null): Promise<ExportedBytes> {
    const format: ScrapeFormat = negotiateScrapeFormat(accept);
    if (format === 'protobuf') return { contentType: PROTOBUF_CONTENT_TYPE, body: await this.protobufBytes() };
    return { contentType: contentTypeOf(format), body: await this.metricsBytes(format) };
  }

  /**
   * The Prometheus protobuf exposition (delimited MetricFamily messages), the one format with native histogram
   * buckets. `others` are another registry's metrics, written after the heap's: prom-client's
   * `getMetricsAsJSON()` (prom-client cannot write protobuf itself).
   */
  async protobufBytes(others?: readonly PromClientMetricJson[]): Promise<Buffer> {
    const heap = await this.#collected();
    const rest = others === undefined ? [] : promClientFamilies(others).map(snapshotSource);
    return heap.readWithin(SCRAPE_READ_BUDGET_MS, () => {
      const sources: FamilySource[] = this.#families(heap, (name, ptr, meta, cache) => heapFamilySource(heap, ptr, name, meta, cache, true));
      return writeProtobuf([...sources, ...rest]);
    });
  }
}
