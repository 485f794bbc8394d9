import { ValidationError } from '@keel/core';
import { idEquals } from '../internal/structural.js';

/**
 * Something defined by its identity rather than its attributes: two entities are equal when
 * they are of the same class and have equal ids, whatever their other fields hold.
 *
 * Ids may be strings, numbers, branded strings (`Brand<string, 'OrderId'>` from `@keel/core`) or
 * value objects (compared with their `equals`).
 *
 * @typeParam TId - The identity type.
 * @example
 * ```ts
 * class OrderLine extends Entity<string> {
 *   constructor(id: string, public quantity: number) { super(id); }
 * }
 * new OrderLine('l-1', 1).equals(new OrderLine('l-1', 5)); // true
 * ```
 */
export abstract class Entity<TId> {
  /** The identity; never changes. */
  readonly id: TId;

  /**
   * @param id - The identity.
   * @throws {ValidationError} when `id` is `null` or `undefined`.
   */
  constructor(id: TId) {
    if (id === null || id === undefined) {
      throw new ValidationError([{ path: ['id'], message: `is required; got ${String(id)}` }], {
        subject: new.target.name,
      });
    }
    this.id = id;
  }

  /**
   * Whether `other` is the same entity: same class and equal id.
   *
   * @param other - Any value; non-entities are never equal.
   * @returns `true` when both are of the same class with equal ids.
   */
  equals(other: unknown): boolean {
    if (other === this) return true;
    if (!(other instanceof Entity) || other.constructor !== this.constructor) return false;
    return idEquals(this.id, other.id);
  }
}
