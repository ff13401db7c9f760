// Label set → child, per process. A tree of Maps, one level per label name in declaration order, so a lookup
// with a labels object reads each value once and allocates nothing. Both the raw value (200) and its text ("200")
// lead to the same child, since both are exported as "200". A label left out (or given as undefined) is the
// `undefined` key of its level, as prom-client's label hash skips undefined values; unless the tree is strict.
import { MpmetricsRangeError } from '../errors.js';
import { labelValueText } from './validation.js';

/** Label values of a series in declaration order, as exported; null for a label the label set leaves out. */
export type SeriesLabels = readonly (string | null)[];

type Node<C> = Map<unknown, Node<C> | C>;

/** The labels object of a call that gives none (`inc()` on a metric with labels). */
export const NO_LABELS: Readonly<Record<string, unknown>> = Object.freeze({});

export class LabelTree<C> {
  readonly #names: readonly string[];
  readonly #strict: boolean;
  readonly #root: Node<C> = new Map();
  readonly #create: (values: SeriesLabels) => C;

  /** `strict`: every label needs a value (the `strictLabels` option). */
  constructor(names: readonly string[], strict: boolean, create: (values: SeriesLabels) => C) {
    this.#names = names;
    this.#strict = strict;
    this.#create = create;
  }

  /** The child for a labels object; throws on an unknown label (or, strict, a missing one). */
  fromObject(labels: Readonly<Record<string, unknown>>): C {
    const names = this.#names;
    let node: Node<C> | C | undefined = this.#root;
    // keys the object must have if it names no other label: a missing label may still be a key, set to undefined
    let present = 0;
    for (let i = 0; i < names.length; i++) {
      const value = labels[names[i]!];
      if (value !== undefined || names[i]! in labels) present++;
      node = (node as Node<C>).get(value);
      if (node === undefined) return this.#slowFromObject(labels);
    }
    let keys = 0;
    for (const key in labels) if (key !== undefined) keys++;
    if (keys !== present) return this.#slowFromObject(labels);
    return node as C;
  }

  /** The child for label values given in declaration order (undefined: left out). */
  fromValues(values: readonly unknown[]): C {
    const names = this.#names;
    if (values.length !== names.length) throw wrongCount(names, values.length);
    let node: Node<C> | C | undefined = this.#root;
    for (let i = 0; i < names.length && node !== undefined; i++) node = (node as Node<C>).get(values[i]);
    return (node as C | undefined) ?? this.#insert(values);
  }

  /** Label values in declaration order, as text (null: left out), after checking the object names only our labels. */
  valuesOf(labels: Readonly<Record<string, unknown>>): (string | null)[] {
    const names = this.#names;
    for (const key of Object.keys(labels)) {
      if (!names.includes(key)) {
        throw new MpmetricsRangeError(
          `Unknown label ${JSON.stringify(key)}: this metric's labels are ${names.length === 0 ? 'none' : names.join(', ')}`,
          { code: 'MPM_ERR_LABELS' },
        );
      }
    }
    return this.#texts(names.map((name) => labels[name]));
  }

  /** Label values as text from `labels(...)`-style arguments (values in order, or one object), creating nothing. */
  textValues(args: readonly unknown[]): (string | null)[] {
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) return this.valuesOf(args[0] as Record<string, unknown>);
    if (args.length !== this.#names.length) throw wrongCount(this.#names, args.length);
    return this.#texts(args);
  }

  /** Raw values in declaration order as text; undefined is a label left out, refused when strict. */
  #texts(raw: readonly unknown[]): (string | null)[] {
    const names = this.#names;
    return raw.map((value, i) => {
      if (value !== undefined) return labelValueText(names[i]!, value);
      if (this.#strict) {
        throw new MpmetricsRangeError(
          `Missing label ${JSON.stringify(names[i])}: with "strictLabels", every label of this metric (${names.join(', ')}) needs a value`,
          { code: 'MPM_ERR_LABELS' },
        );
      }
      return null;
    });
  }

  #slowFromObject(labels: Readonly<Record<string, unknown>>): C {
    const raw = this.#names.map((name) => labels[name]);
    this.valuesOf(labels); // throws on unknown labels (strict: on missing ones)
    return this.#insert(raw);
  }

  /**
   * Finds the child by the values' text, or makes it; then links the raw values to it. The child is made before
   * any level is linked: a label set refused (past `maxSeries`) leaves no Maps behind.
   */
  #insert(raw: readonly unknown[]): C {
    const names = this.#names;
    const text = this.#texts(raw);
    // the tree's key for a value: its text, or undefined for a label left out (never null: null is refused)
    const key = (i: number): string | undefined => text[i] ?? undefined;
    let found: Node<C> | C | undefined = this.#root;
    for (let i = 0; i < names.length && found !== undefined; i++) found = (found as Node<C>).get(key(i));
    const child = (found as C | undefined) ?? this.#create(text);
    let node = this.#root;
    for (let i = 0; i < names.length - 1; i++) {
      let next = node.get(key(i)) as Node<C> | undefined;
      if (next === undefined) {
        next = (node.get(raw[i]) as Node<C> | undefined) ?? new Map();
        node.set(key(i), next);
      }
      node.set(raw[i], next);
      node = next;
    }
    const last = names.length - 1;
    node.set(key(last), child);
    node.set(raw[last], child);
    return child;
  }

  /** Forgets the children in `gone` (their label sets expired), under every key that led to them. */
  prune(gone: ReadonlySet<C>): void {
    const walk = (node: Node<C>, depth: number): void => {
      for (const [key, value] of node) {
        if (depth === this.#names.length - 1) {
          if (gone.has(value as C)) node.delete(key);
          continue;
        }
        walk(value as Node<C>, depth + 1);
        if ((value as Node<C>).size === 0) node.delete(key);
      }
    };
    if (this.#names.length > 0) walk(this.#root, 0);
  }
}

/** prom-client throws too when `labels(...)` or `remove(...)` gets another number of values than labels. */
function wrongCount(names: readonly string[], received: number): MpmetricsRangeError {
  return new MpmetricsRangeError(`Expected ${names.length} label value${names.length === 1 ? '' : 's'} (${names.join(', ')}), received ${received}`, {
    code: 'MPM_ERR_LABELS',
  });
}
