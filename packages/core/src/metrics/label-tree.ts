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
  readonly #find: (labels: Readonly<Record<string, unknown>>) => C | undefined;

  /** `strict`: every label needs a value (the `strictLabels` option). */
  constructor(names: readonly string[], strict: boolean, create: (values: SeriesLabels) => C) {
    this.#names = names;
    this.#strict = strict;
    this.#create = create;
    this.#find = compiledFind<C>(names, this.#root) ?? ((labels) => this.#findByLoop(labels));
  }

  /** The child for a labels object; throws on an unknown label (or, strict, a missing one). */
  fromObject(labels: Readonly<Record<string, unknown>>): C {
    return this.#find(labels) ?? this.#slowFromObject(labels);
  }

  /** The child a labels object leads to, if the tree has it and the object names no other key. */
  #findByLoop(labels: Readonly<Record<string, unknown>>): C | undefined {
    const names = this.#names;
    let node: Node<C> | C | undefined = this.#root;
    // keys the object must have if it names no other label: a missing label may still be a key, set to undefined
    let present = 0;
    for (let i = 0; i < names.length; i++) {
      const value = labels[names[i]!];
      if (value !== undefined || names[i]! in labels) present++;
      node = (node as Node<C>).get(value);
      if (node === undefined) return undefined;
    }
    let keys = 0;
    for (const key in labels) if (key !== undefined) keys++;
    return keys === present ? (node as C) : undefined;
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

/**
 * #findByLoop compiled for one metric's label names, or undefined where code generation is disallowed
 * (`--disallow-code-generation-from-strings`). A loop reads `labels[names[i]]` at one site for every name of every
 * metric, a lookup V8 must do by hash; here each label is a named load of its own, which V8 caches by the
 * object's shape: `inc(labels)` took 42 ns by the loop and ~30 by this (docs/benchmarks-journal.md, 2026-12-07).
 * The names are label names, checked against [a-zA-Z_][a-zA-Z0-9_]* before they get here, and quoted anyway.
 */
function compiledFind<C>(names: readonly string[], root: Node<C>): ((labels: Readonly<Record<string, unknown>>) => C | undefined) | undefined {
  if (names.length === 0 || names.length > 16) return undefined;
  const quoted = names.map((name) => JSON.stringify(name));
  const body = [
    'return function findChild(labels) {',
    '  let present = 0;',
    ...quoted.map((name, i) => `  const v${i} = labels[${name}];\n  if (v${i} !== undefined || ${name} in labels) present++;`),
    '  let keys = 0;',
    '  for (const key in labels) keys++;',
    '  if (keys !== present) return undefined;',
    '  let node = root;',
    ...quoted.map((_, i) => `  node = node.get(v${i});\n  if (node === undefined) return undefined;`),
    '  return node;',
    '};',
  ].join('\n');
  try {
    return new Function('root', body)(root) as (labels: Readonly<Record<string, unknown>>) => C | undefined;
  } catch {
    return undefined;
  }
}

/** prom-client throws too when `labels(...)` or `remove(...)` gets another number of values than labels. */
function wrongCount(names: readonly string[], received: number): MpmetricsRangeError {
  return new MpmetricsRangeError(`Expected ${names.length} label value${names.length === 1 ? '' : 's'} (${names.join(', ')}), received ${received}`, {
    code: 'MPM_ERR_LABELS',
  });
}
