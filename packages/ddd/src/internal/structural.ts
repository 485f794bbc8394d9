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

/**
 * `SameValueZero`, the primitive equality of value objects: `===`, except that `NaN` equals
 * `NaN`. So `-0` equals `0`: both serialise as `0`, and equality must survive a save and load.
 */
export function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

function arraysEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  // An index loop, not `every`, so a hole compares as `undefined` from either side.
  for (let index = 0; index < a.length; index += 1) if (!deepEqual(a[index], b[index])) return false;
  return true;
}

function objectsEqual(a: Record<PropertyKey, unknown>, b: Record<PropertyKey, unknown>): boolean {
  const keys = Reflect.ownKeys(a);
  if (keys.length !== Reflect.ownKeys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && deepEqual(a[key], b[key]));
}

/**
 * Structural equality, the equality of value objects: primitives by {@link sameValueZero}
 * (`-0` equals `0`, `NaN` equals `NaN`), arrays and plain objects by content (a property set to
 * `undefined` differs from a missing one), dates by time, objects with an `equals` method
 * (value objects, entities) through it, anything else by reference.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (sameValueZero(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && arraysEqual(a, b);
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && sameValueZero(a.getTime(), b.getTime());
  }
  if (isPlainObject(a) || isPlainObject(b)) return isPlainObject(a) && isPlainObject(b) && objectsEqual(a, b);
  return hasEquals(a) ? a.equals(b) : false;
}

/**
 * Equality of identities: through `equals` when the id has one (value-object ids), else
 * {@link deepEqual} (so `-0` equals `0`, and plain-data ids compare by content, as their
 * {@link idToString} keys do).
 */
export function idEquals(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && hasEquals(a)) return a.equals(b);
  return deepEqual(a, b);
}

function invalidId(path: readonly PropertyKey[], message: string): ValidationError {
  return new ValidationError([{ path, message }], { subject: 'identity' });
}

/** Own keys in the order the key-sorted JSON form has always printed them (index-like keys first). */
function canonicalKeys(value: Record<PropertyKey, unknown>, path: readonly PropertyKey[]): string[] {
  if (isPlainObject(value) && Object.getOwnPropertySymbols(value).length > 0) {
    throw invalidId(path, 'must not have symbol keys: they cannot be written into an id string');
  }
  const sorted: Record<string, true> = Object.create(null) as Record<string, true>;
  for (const key of Object.keys(value).sort()) sorted[key] = true;
  return Object.keys(sorted);
}

function encodeObject(value: object, path: readonly PropertyKey[], viaToJSON: boolean): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : JSON.stringify(value);
  if (Array.isArray(value)) {
    return `[${Array.from(value, (item: unknown, index) => encode(item, [...path, index])).join(',')}]`;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  // As JSON.stringify does: call toJSON once (value objects give their props), then write the result.
  if (!viaToJSON && typeof toJSON === 'function') return encode(toJSON.call(value) as unknown, path, true);
  const record = value as Record<PropertyKey, unknown>;
  const entries = canonicalKeys(record, path).map(
    (key) => `${JSON.stringify(key)}:${encode(record[key], [...path, key])}`,
  );
  return `{${entries.join(',')}}`;
}

/**
 * The canonical form of a value inside an id: JSON with sorted keys where JSON is exact, and,
 * where JSON would lose or merge values, tokens JSON never prints (`NaN`, `Infinity`,
 * `undefined`, `12n`, `Invalid Date`), so ids that are not {@link deepEqual} get different
 * strings and ids that are get the same one (`-0` is written `0`).
 */
function encode(value: unknown, path: readonly PropertyKey[], viaToJSON = false): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'object':
      return value === null ? 'null' : encodeObject(value, path, viaToJSON);
    default:
      throw invalidId(path, `must hold only data; got a ${typeof value}`);
  }
}

/**
 * The string form of an identity, used as `aggregateId`, in stream names and as the key of
 * `InMemoryRepository`: strings as they are, numbers, bigints and booleans with `String`
 * (`-0` gives `"0"`), objects through their own `toString` when they define one, else a
 * canonical form: key-sorted JSON (value objects through their props), with tokens JSON never
 * prints where JSON would merge values (`{"n":NaN}`, `{"n":null}`, `{"n":1,"x":undefined}` and
 * `{"n":1}` are four different strings).
 *
 * Two object ids get the same string exactly when they are structurally equal ({@link deepEqual}),
 * within these limits: value objects are written by their props and other class instances by
 * their enumerable fields, not by their class; a date is written as its ISO string; an object's
 * own `toString` (an array's too) is trusted as given; a string id and a number id may meet.
 *
 * @throws {ValidationError} when the id is `undefined`, `null`, a function or a symbol, or an
 * object id holds a function, a symbol or a symbol key.
 */
export function idToString(id: unknown): string {
  if (typeof id === 'string') return id;
  if (typeof id === 'number' || typeof id === 'bigint' || typeof id === 'boolean') return String(id);
  if (typeof id === 'object' && id !== null) {
    const toString = (id as { toString?: unknown }).toString;
    if (typeof toString === 'function' && toString !== Object.prototype.toString) return String(id);
    return encode(id, []);
  }
  throw invalidId([], `must be a string, number, bigint or object; got ${String(id)}`);
}
