import { ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';
import type { Entity } from '../entity/entity.js';
import { deepEqual, freezeCopy } from '../internal/structural.js';

/**
 * Makes every property, array and nested plain object of `T` read-only. Value objects, entities
 * and dates are kept as they are (value objects are immutable already).
 */
export type DeepReadonly<T> = T extends
  ((...args: never[]) => unknown) | ValueObject<any> | Entity<any> | Date
  ? T
  : T extends readonly (infer TItem)[]
    ? readonly DeepReadonly<TItem>[]
    : T extends object
      ? { readonly [TKey in keyof T]: DeepReadonly<T[TKey]> }
      : T;

/**
 * What {@link ValueObject.validate} returns: the problems found (empty or `undefined` when the
 * props are valid).
 */
export type ValidationResult = readonly ValidationIssue[] | undefined | void;

type ValueObjectConstructor<TProps> = new (props: TProps) => ValueObject<TProps>;

/**
 * A value defined only by its attributes: deeply immutable, equal to any other instance of the
 * same class with equal props, validated on every construction.
 *
 * - **Immutable**: props are copied and frozen deeply (nested plain objects and arrays), and
 *   the instance itself is frozen. So subclasses declare no instance fields: expose props
 *   through getters, and derive values in getters or methods.
 * - **Validated**: override {@link validate} to return every problem (use {@link schemaIssues}
 *   for a zod or other Standard Schema); the constructor throws a `ValidationError` listing all
 *   of them. Validation runs again for every {@link with} copy.
 * - **Equal by structure**: {@link equals} compares class and props deeply (nested value
 *   objects through their own `equals`, dates by time, numbers by `SameValueZero`: `-0`
 *   equals `0` and `NaN` equals `NaN`; a prop set to `undefined` differs from a missing one).
 *
 * Subclass constructors must accept the props as their only argument (the inherited
 * constructor does), because {@link with} builds copies through it. Maps, sets and class
 * instances inside props are kept by reference and not frozen: prefer arrays and plain data.
 *
 * @typeParam TProps - The attributes.
 * @example
 * ```ts
 * class Money extends ValueObject<{ amount: number; currency: string }> {
 *   get amount(): number { return this.props.amount; }
 *   protected override validate(props: { amount: number; currency: string }) {
 *     return schemaIssues(MoneySchema, props);
 *   }
 * }
 * const price = new Money({ amount: 10, currency: 'EUR' });
 * price.with({ amount: 12 }); // a new, re-validated Money
 * ```
 */
export abstract class ValueObject<TProps> {
  /** The attributes, deeply frozen. */
  readonly props: DeepReadonly<TProps>;

  /**
   * @param props - The attributes; copied, validated, then frozen.
   * @throws {ValidationError} listing every problem {@link validate} reported.
   */
  constructor(props: TProps) {
    const issues = this.validate(props) ?? [];
    if (issues.length > 0) throw new ValidationError(issues, { subject: new.target.name });
    this.props = freezeCopy(props) as DeepReadonly<TProps>;
    Object.freeze(this);
  }

  /**
   * Returns every problem with `props`; none by default. Runs before the instance exists, so
   * it must only look at `props`, never at `this`.
   *
   * @param _props - The candidate attributes.
   * @returns the issues found (an empty array or nothing when valid).
   */
  protected validate(_props: TProps): ValidationResult {
    return undefined;
  }

  /**
   * Whether `other` is a value object of the same class with structurally equal props
   * (`-0` equals `0`, `NaN` equals `NaN`, dates by time, nested value objects by `equals`).
   *
   * @param other - Any value; non-value-objects are never equal.
   */
  equals(other: unknown): boolean {
    if (other === this) return true;
    if (!(other instanceof ValueObject) || other.constructor !== this.constructor) return false;
    return deepEqual(this.props, other.props);
  }

  /**
   * A copy with some props replaced, built through the constructor so it is validated again.
   *
   * @param changes - The props to replace.
   * @returns a new instance of the same class.
   * @throws {ValidationError} when the changed props are invalid.
   */
  with(changes: Partial<TProps>): this {
    const Constructor = this.constructor as ValueObjectConstructor<TProps>;
    return new Constructor({ ...(this.props as TProps), ...changes }) as this;
  }

  /** The props, so `JSON.stringify` prints the value. */
  toJSON(): DeepReadonly<TProps> {
    return this.props;
  }
}
