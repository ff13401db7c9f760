// Label set → child, per process. A tree of Maps, one level per label name in declaration order, so a lookup
// with a labels object reads each value once and allocates nothing. Both the raw value (200) and its text ("200")
// lead to the same child, since both are exported as "200".
import { MpmetricsRangeError } from '../errors.js';
import { labelValueText } from './validation.js';

type Node<C> = Map<unknown, Node<C> | C>;

export class LabelTree<C> {
  readonly #names: readonly string[];
  readonly #root: Node<C> = new Map();
  readonly #create: (values: readonly string[]) => C;

  constructor(names: readonly string[], create: (values: readonly string[]) => C) {
    this.#names = names;
    this.#create = create;
  }

  /** The child for a labels object; throws on an unknown or missing label. */
  fromObject(labels: Readonly<Record<string, unknown>>): C {
    const names = this.#names;
    let node: Node<C> | C | undefined = this.#root;
    for (let i = 0; i < names.length; i++) {
      node = (node as Node<C>).get(labels[names[i]!]);
      if (node === undefined) return this.#slowFromObject(labels);
    }
    let keys = 0;
    for (const key in labels) if (key !== undefined) keys++;
    if (keys !== names.length) return this.#slowFromObject(labels);
    return node as C;
  }

  /** The child for label values given in declaration order. */
  fromValues(values: readonly unknown[]): C {
    const names = this.#names;
    if (values.length !== names.length) {
      throw new MpmetricsRangeError(
        `Expected ${names.length} label value${names.length === 1 ? '' : 's'} (${names.join(', ')}), received ${values.length}`,
        { code: 'MPM_ERR_LABELS' },
      );
    }
    let node: Node<C> | C | undefined = this.#root;
    for (let i = 0; i < names.length && node !== undefined; i++) node = (node as Node<C>).get(values[i]);
    return (node as C | undefined) ?? this.#insert(values);
  }

  /** Label values in declaration order, as text, after checking the object names exactly our labels. */
  valuesOf(labels: Readonly<Record<string, unknown>>): string[] {
    const names = this.#names;
    for (const key of Object.keys(labels)) {
      if (!names.includes(key)) {
        throw new MpmetricsRangeError(
          `Unknown label ${JSON.stringify(key)}: this metric's labels are ${names.length === 0 ? 'none' : names.join(', ')}`,
          { code: 'MPM_ERR_LABELS' },
        );
      }
    }
    return names.map((name) => {
      const value = labels[name];
      if (value === undefined) {
        throw new MpmetricsRangeError(`Missing label ${JSON.stringify(name)}: every label of this metric (${names.join(', ')}) needs a value`, {
          code: 'MPM_ERR_LABELS',
        });
      }
      return labelValueText(name, value);
    });
  }

  /** Label values as text from `labels(...)`-style arguments (values in order, or one object), creating nothing. */
  textValues(args: readonly unknown[]): string[] {
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) return this.valuesOf(args[0] as Record<string, unknown>);
    const names = this.#names;
    if (args.length !== names.length) {
      throw new MpmetricsRangeError(
        `Expected ${names.length} label value${names.length === 1 ? '' : 's'} (${names.join(', ')}), received ${args.length}`,
        { code: 'MPM_ERR_LABELS' },
      );
    }
    return args.map((value, i) => labelValueText(names[i]!, value));
  }

  #slowFromObject(labels: Readonly<Record<string, unknown>>): C {
    const raw = this.#names.map((name) => labels[name]);
    this.valuesOf(labels); // throws on unknown or missing labels
    return this.#insert(raw);
  }

  #insert(raw: readonly unknown[]): C {
    const names = this.#names;
    const text = raw.map((value, i) => labelValueText(names[i]!, value));
    let node = this.#root;
    for (let i = 0; i < names.length - 1; i++) {
      let next = node.get(text[i]) as Node<C> | undefined;
      if (next === undefined) {
        next = (node.get(raw[i]) as Node<C> | undefined) ?? new Map();
        node.set(text[i], next);
      }
      node.set(raw[i], next);
      node = next;
    }
    const last = names.length - 1;
    let child = node.get(text[last]) as C | undefined;
    if (child === undefined) {
      child = this.#create(text);
      node.set(text[last], child);
    }
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

  /** Forgets every child (their series stay in the heap). */
  clear(): void {
    this.#root.clear();
  }
}
