import { ValidationError } from '@keel/core';

/** Whether `value` is a plain object literal (prototype `Object.prototype` or `null`). */
export function isPlainObject(value: unknown): value is Record<PropertyKey, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function hasEquals(value: object): value is { equals(other: unknown): boolean } {
  return typeof (value as { equals?: unknown }).equals === 'function';
}

/**
 * Copies plain objects and arrays recursively and freezes the copies. Other objects (value
 * objects, dates, class instances) are kept by reference: value objects are already frozen.
 */
export function freezeCopy<T>(value: T): T {
  if (Array.isArray(value)) return Object.freeze(value.map((item: unknown) => freezeCopy(item))) as T;
  if (!isPlainObject(value)) return value;
  const copy: Record<PropertyKey, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  for (const key of Reflect.ownKeys(value)) copy[key] = freezeCopy(value[key]);
  return Object.freeze(copy) as T;
}

/** Freezes plain objects and arrays in place, recursively (for event payloads). */
export function deepFreeze<T>(value: T): T {
  if ((Array.isArray(value) || isPlainObject(value)) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

function arraysEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
}

function objectsEqual(a: Record<PropertyKey, unknown>, b: Record<PropertyKey, unknown>): boolean {
  const keys = Reflect.ownKeys(a);
  if (keys.length !== Reflect.ownKeys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual(a[key], b[key]));
}

/**
 * Structural equality: primitives by `Object.is`, arrays and plain objects by content, dates by
 * time, objects with an `equals` method (value objects, entities) through it, anything else by
 * reference.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && arraysEqual(a, b);
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (isPlainObject(a) || isPlainObject(b)) return isPlainObject(a) && isPlainObject(b) && objectsEqual(a, b);
  return hasEquals(a) ? a.equals(b) : false;
}

/** Equality of identities: through `equals` when the id has one (value-object ids), else `Object.is`. */
export function idEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && hasEquals(a)) return a.equals(b);
  return Object.is(a, b);
}

function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (!isPlainObject(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = item[key];
    return sorted;
  });
}

/**
 * The string form of an identity: strings as they are, numbers and bigints with `String`,
 * objects through their own `toString` when they define one, else a key-sorted JSON form.
 */
export function idToString(id: unknown): string {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint' || typeof id === 'boolean') return String(id);
  if (typeof id === 'object' && id !== null) {
    const toString = (id as { toString?: unknown }).toString;
    if (typeof toString === 'function' && toString !== Object.prototype.toString) return String(id);
    return stableStringify(id);
  }
  throw new ValidationError(
    [{ path: [], message: `must be a string, number, bigint or object; got ${String(id)}` }],
    {
      subject: 'identity',
    },
  );
}
