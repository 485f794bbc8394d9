import { processWide } from '../processWide/processWide.js';
import { UuidV7Generator } from './uuidV7.js';

/**
 * Shared by every package in the process, so ids sort in creation order across all of them,
 * and by every loaded copy of @keel/core (ESM and CommonJS builds side by side, two versions).
 */
const ids = processWide('@keel/core/ids@1', () => new UuidV7Generator());

/**
 * A new UUID v7: unique, and ordered by creation time, so ids sort in the order they were made
 * and index well in databases. Ids made in this process are strictly increasing, also within one
 * millisecond and across loaded copies of @keel/core (see {@link UuidV7Generator}; make your own one to read time from a test clock).
 *
 * @example
 * ```ts
 * const orderId = newId(); // '01932c07-…'
 * ```
 */
export function newId(): string {
  return ids.next();
}

/**
 * {@link newId} for a caller that has just read the system clock (`systemClock.now()`, the
 * clock `newId` uses): one clock read serves the id and the caller's timestamp. Internal to
 * core (not exported from the package).
 */
export function newIdAt(now: number): string {
  return ids.next(now);
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID string (any version 1 to 8, lower or upper case). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

declare const brand: unique symbol;

/**
 * A nominal type: `T` tagged with `TName` so that, for example, an `OrderId` and a
 * `CustomerId` cannot be swapped by mistake even though both are strings.
 *
 * @example
 * ```ts
 * type OrderId = Brand<string, 'OrderId'>;
 * const id = newId() as OrderId;
 * ```
 */
export type Brand<T, TName extends string> = T & { readonly [brand]: TName };
