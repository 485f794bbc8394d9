import { ValidationError } from '@keel/core';
import { deepEqual } from '../internal/structural.js';

/** The comparison operators of {@link where} specifications. */
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in';

/**
 * The describable form of a {@link Specification}: a tree an adapter can translate into its own
 * query language (SQL, a document filter …) instead of loading every candidate. Plain data,
 * JSON-serialisable when the params and values are.
 */
export type SpecificationNode =
  | { readonly kind: 'rule'; readonly name: string; readonly params: Readonly<Record<string, unknown>> }
  | {
      readonly kind: 'compare';
      readonly field: string;
      readonly op: ComparisonOperator;
      readonly value: unknown;
    }
  | { readonly kind: 'and'; readonly specs: readonly SpecificationNode[] }
  | { readonly kind: 'or'; readonly specs: readonly SpecificationNode[] }
  | { readonly kind: 'not'; readonly spec: SpecificationNode };

/**
 * A named, combinable business predicate over `T`: evaluated in memory with
 * {@link isSatisfiedBy}, and described as a {@link SpecificationNode} tree with
 * {@link describe} so a repository adapter can translate it.
 *
 * Build leaves with {@link specification} (a named rule) or {@link where} (a field comparison),
 * and combine them with {@link and}, {@link or} and {@link not}.
 *
 * @typeParam T - What the specification is about.
 * @example
 * ```ts
 * const highValue = (min: number) => specification<Order>('HighValue', (o) => o.total >= min, { min });
 * const confirmed = where<Order, 'status'>('status', 'eq', 'confirmed');
 * const target = highValue(1_000).and(confirmed);
 * target.isSatisfiedBy(order); // boolean
 * target.toString();           // 'HighValue(min=1000) AND status eq "confirmed"'
 * ```
 */
export class Specification<T> {
  readonly #node: SpecificationNode;
  readonly #test: (candidate: T) => boolean;

  /**
   * Prefer the factories {@link specification} and {@link where}.
   *
   * @param node - The description of the rule.
   * @param test - The in-memory evaluation; must agree with `node`.
   */
  constructor(node: SpecificationNode, test: (candidate: T) => boolean) {
    this.#node = deepFreezeNode(node);
    this.#test = test;
  }

  /** Whether `candidate` satisfies the specification. */
  isSatisfiedBy(candidate: T): boolean {
    return this.#test(candidate);
  }

  /** Both this and `other` (nested `and`s are flattened in the description). */
  and(other: Specification<T>): Specification<T> {
    return allOf(this, other);
  }

  /** This or `other` (nested `or`s are flattened in the description). */
  or(other: Specification<T>): Specification<T> {
    return anyOf(this, other);
  }

  /** The opposite of this specification. */
  not(): Specification<T> {
    return new Specification<T>({ kind: 'not', spec: this.#node }, (candidate) => !this.#test(candidate));
  }

  /** The candidates that satisfy the specification, in order. */
  filter(candidates: Iterable<T>): T[] {
    return [...candidates].filter((candidate) => this.#test(candidate));
  }

  /** The description tree (frozen), for adapters and logs. */
  describe(): SpecificationNode {
    return this.#node;
  }

  /** The description tree; makes `JSON.stringify(spec)` print it. */
  toJSON(): SpecificationNode {
    return this.#node;
  }

  /** A readable form, e.g. `HighValue(min=1000) AND NOT status eq "cancelled"`. */
  toString(): string {
    return render(this.#node, false);
  }
}

/**
 * A named rule: the leaf most domain specifications are made of.
 *
 * @param name - A stable name an adapter can map to a query, e.g. `HighValue`.
 * @param predicate - The in-memory evaluation.
 * @param params - The rule's parameters, part of the description (e.g. `{ min: 1000 }`).
 * @example
 * ```ts
 * const overdue = (today: string) => specification<Invoice>('Overdue', (i) => i.dueDate < today, { today });
 * ```
 */
export function specification<T>(
  name: string,
  predicate: (candidate: T) => boolean,
  params: Readonly<Record<string, unknown>> = {},
): Specification<T> {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalid('name', `must be a non-empty string; got ${JSON.stringify(name)}`);
  }
  return new Specification<T>({ kind: 'rule', name, params: { ...params } }, predicate);
}

const COMPARE: Readonly<Record<ComparisonOperator, (a: unknown, b: unknown) => boolean>> = Object.freeze({
  eq: (a, b) => deepEqual(a, b),
  ne: (a, b) => !deepEqual(a, b),
  gt: (a, b) => (a as number) > (b as number),
  gte: (a, b) => (a as number) >= (b as number),
  lt: (a, b) => (a as number) < (b as number),
  lte: (a, b) => (a as number) <= (b as number),
  in: (a, b) => (b as readonly unknown[]).some((item) => deepEqual(a, item)),
});

/**
 * A comparison of one field (or getter) with a value: the most translatable leaf.
 *
 * `eq`, `ne` and `in` compare by structure, as value objects do: value objects through their
 * `equals`, dates by time, plain arrays and objects by content, other primitives by
 * `SameValueZero` (`-0` equals `0`, `NaN` equals `NaN`). So `where('price', 'eq', new Money(…))`
 * matches an equal `Money` on a freshly loaded aggregate, as a database comparing the stored
 * values would. `gt`, `gte`, `lt` and `lte` use JavaScript's `>` and `<`.
 *
 * @param field - The property to read from the candidate.
 * @param op - The operator; `in` takes an array of allowed values.
 * @param value - What to compare with.
 * @example
 * ```ts
 * where<Order, 'status'>('status', 'in', ['placed', 'confirmed']);
 * ```
 */
export function where<T, TField extends keyof T & string>(
  field: TField,
  op: 'in',
  value: readonly T[TField][],
): Specification<T>;
export function where<T, TField extends keyof T & string>(
  field: TField,
  op: Exclude<ComparisonOperator, 'in'>,
  value: T[TField],
): Specification<T>;
export function where<T, TField extends keyof T & string>(
  field: TField,
  op: ComparisonOperator,
  value: unknown,
): Specification<T> {
  const compare = COMPARE[op];
  if (compare === undefined)
    throw invalid('op', `must be one of ${Object.keys(COMPARE).join(', ')}; got ${String(op)}`);
  if (op === 'in' && !Array.isArray(value)) throw invalid('value', 'must be an array for the "in" operator');
  const frozen = Array.isArray(value) ? [...(value as unknown[])] : value;
  return new Specification<T>({ kind: 'compare', field, op, value: frozen }, (candidate) =>
    compare(candidate[field], frozen),
  );
}

/** Every one of `specs` (true for none). Nested `and`s are flattened in the description. */
export function allOf<T>(...specs: readonly Specification<T>[]): Specification<T> {
  const nodes = specs.flatMap((spec) => flatten(spec.describe(), 'and'));
  return new Specification<T>({ kind: 'and', specs: nodes }, (candidate) =>
    specs.every((spec) => spec.isSatisfiedBy(candidate)),
  );
}

/** At least one of `specs` (false for none). Nested `or`s are flattened in the description. */
export function anyOf<T>(...specs: readonly Specification<T>[]): Specification<T> {
  const nodes = specs.flatMap((spec) => flatten(spec.describe(), 'or'));
  return new Specification<T>({ kind: 'or', specs: nodes }, (candidate) =>
    specs.some((spec) => spec.isSatisfiedBy(candidate)),
  );
}

/** The opposite of `spec`; the same as `spec.not()`. */
export function not<T>(spec: Specification<T>): Specification<T> {
  return spec.not();
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError([{ path: [path], message }], { subject: 'specification' });
}

function flatten(node: SpecificationNode, kind: 'and' | 'or'): readonly SpecificationNode[] {
  return node.kind === kind ? node.specs : [node];
}

function deepFreezeNode(node: SpecificationNode): SpecificationNode {
  if (Object.isFrozen(node)) return node;
  if (node.kind === 'and' || node.kind === 'or') {
    return Object.freeze({ kind: node.kind, specs: Object.freeze(node.specs.map(deepFreezeNode)) });
  }
  if (node.kind === 'not') return Object.freeze({ kind: 'not', spec: deepFreezeNode(node.spec) });
  if (node.kind === 'rule') return Object.freeze({ ...node, params: Object.freeze({ ...node.params }) });
  return Object.freeze({
    ...node,
    value: Array.isArray(node.value) ? Object.freeze([...node.value]) : node.value,
  });
}

function render(node: SpecificationNode, nested: boolean): string {
  switch (node.kind) {
    case 'rule': {
      const params = Object.entries(node.params).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
      return params.length === 0 ? node.name : `${node.name}(${params.join(', ')})`;
    }
    case 'compare':
      return `${node.field} ${node.op} ${JSON.stringify(node.value)}`;
    case 'not':
      return `NOT ${render(node.spec, true)}`;
    default: {
      if (node.specs.length === 0) return node.kind === 'and' ? 'TRUE' : 'FALSE';
      const text = node.specs.map((spec) => render(spec, true)).join(node.kind === 'and' ? ' AND ' : ' OR ');
      return nested && node.specs.length > 1 ? `(${text})` : text;
    }
  }
}
