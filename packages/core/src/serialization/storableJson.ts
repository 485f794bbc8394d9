import { isKeelError, KeelError } from '../errors/keelError.js';
import type { KeelErrorOptions } from '../errors/keelError.js';
import { isBoxedPrimitive, problemOf } from './storableProblems.js';

/** The stable code of {@link SerializationError}. */
export const SERIALIZATION_ERROR_CODE = 'SERIALIZATION_FAILED';

/**
 * A value cannot be stored: every Keel store (in memory, PostgreSQL, PGlite) keeps values as
 * JSON that PostgreSQL's `jsonb` can hold, and refuses the same values before any effect.
 */
export class SerializationError extends KeelError {
  /** What was being stored, e.g. `the data of event 1 of the append to "order-1"`. */
  readonly what: string;
  /** Where in the value the problem is, e.g. `items[0].name`, or `(root)`. */
  readonly path: string;

  constructor(what: string, path: string, problem: string, options: KeelErrorOptions = {}) {
    super(
      SERIALIZATION_ERROR_CODE,
      `Could not store ${what}: ${path === '(root)' ? 'the value' : path} ${problem}. Store plain JSON: objects, arrays, strings, finite numbers, booleans and null.`,
      { ...options, details: { ...options.details, what, path } },
    );
    this.what = what;
    this.path = path;
  }
}

/** Whether `value` is a {@link SerializationError}, from any loaded copy of `@keel/core`. */
export function isSerializationError(value: unknown): value is SerializationError {
  return isKeelError(value, SERIALIZATION_ERROR_CODE);
}

/** A character the fast path leaves to the general one: NUL, or any surrogate (paired or not). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what it looks for
const NOT_PLAIN = /[\u0000\uD800-\uDFFF]/;

/**
 * The JSON text of a plain object (prototype `Object.prototype` or `null`) whose values are all
 * strings without NUL or surrogates, finite numbers, booleans, `null` or `undefined`, with keys
 * free of those characters too: exactly what `JSON.stringify` writes for it, each property read
 * once. `undefined` for any other value, which the general path then accepts or refuses.
 */
function flatObjectJson(value: object): string | undefined {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  // An inherited toJSON (a patched Object.prototype) would change what JSON writes.
  if ((value as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  const record = value as Record<string, unknown>;
  let text = '';
  for (const key of Object.keys(record)) {
    if (NOT_PLAIN.test(key)) return undefined;
    const item = record[key];
    let json: string;
    switch (typeof item) {
      case 'string':
        if (NOT_PLAIN.test(item)) return undefined;
        json = JSON.stringify(item);
        break;
      case 'number':
        if (!Number.isFinite(item)) return undefined;
        json = String(item); // JSON's number text, -0 included ("0")
        break;
      case 'boolean':
        json = item ? 'true' : 'false';
        break;
      case 'undefined':
        continue; // JSON leaves the property out
      default:
        if (item !== null) return undefined;
        json = 'null';
    }
    text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${json}`;
  }
  return `{${text}}`;
}

const THREW_PROBLEM = 'threw an error while being read or converted (its toJSON or a getter); see the cause';

class Refused {
  constructor(
    readonly path: readonly PropertyKey[],
    readonly problem: string,
    readonly cause?: unknown,
  ) {}
}

function formatJsonPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** What JSON writes for `value` (its `toJSON` result, if it has one), at `path`. */
function jsonOf(value: unknown, path: readonly PropertyKey[]): unknown {
  return value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
    ? (value as { toJSON: (key: string) => unknown }).toJSON(String(path.at(-1) ?? ''))
    : value;
}

/**
 * Finds the path of the first refused node (only called once a problem is known). A node whose
 * reading throws (a throwing `toJSON` or getter, a hostile Proxy) is the refused one.
 */
function locate(value: unknown, path: PropertyKey[], seen: Set<unknown>): Refused | undefined {
  let json: unknown;
  let keys: PropertyKey[];
  try {
    json = jsonOf(value, path);
    const problem = problemOf(value, json);
    if (problem !== undefined) return new Refused(path, problem);
    if (json === null || typeof json !== 'object' || isBoxedPrimitive(json)) return undefined;
    if (seen.has(json)) return new Refused(path, 'refers back to itself (a cycle)');
    keys = Array.isArray(json) ? Array.from(json, (_item, index) => index) : Object.keys(json);
  } catch (error) {
    return new Refused(path, THREW_PROBLEM, error);
  }
  seen.add(json);
  for (const key of keys) {
    if (typeof key === 'string') {
      const keyProblem = problemOf(key, key);
      if (keyProblem !== undefined) return new Refused([...path, key], `has a key that ${keyProblem}`);
    }
    let item: unknown;
    try {
      item = (json as Record<PropertyKey, unknown>)[key];
    } catch (error) {
      return new Refused([...path, key], THREW_PROBLEM, error);
    }
    if (item === undefined && !Array.isArray(json)) continue;
    const found = locate(item, [...path, key], seen);
    if (found !== undefined) return found;
  }
  seen.delete(json);
  return undefined;
}

function refuse(value: unknown, what: string | (() => string), cause?: unknown): never {
  let found: Refused | undefined;
  try {
    found = locate(value, [], new Set());
  } catch (error) {
    // Reading the value again threw somewhere locate does not guard (e.g. a Proxy's traps).
    found = new Refused([], THREW_PROBLEM, cause ?? error);
  }
  found ??= new Refused([], cause === undefined ? 'cannot be written as JSON' : THREW_PROBLEM);
  const reason = found.cause ?? cause;
  throw new SerializationError(
    typeof what === 'string' ? what : what(),
    formatJsonPath(found.path),
    found.problem,
    reason === undefined ? {} : { cause: reason },
  );
}

/**
 * Serializes `value` as the JSON text every Keel store keeps, refusing what PostgreSQL cannot
 * hold or JSON would silently lose. The rules, the same for every store:
 *
 * - refused (a {@link SerializationError} naming the path): strings or keys with a NUL
 *   character or a lone surrogate, BigInt, NaN and ±Infinity, functions, symbols, cycles,
 *   invalid Dates, Map, Set, WeakMap, WeakSet, RegExp, Error, Promise and binary data
 *   (ArrayBuffer, SharedArrayBuffer, typed arrays, DataView), whichever realm made them (a `vm`
 *   context included); a boxed primitive (`new String(…)`, `new Number(…)`) is checked as the
 *   primitive JSON writes for it;
 * - changed as JSON changes them: a `Date` (or anything with `toJSON`) is stored as what
 *   `toJSON` returns (a Date becomes its ISO string), other class instances as their own
 *   enumerable properties (a plain object on read), object properties that are `undefined`
 *   are left out, `undefined` array items become `null`, and `-0` becomes `0`.
 *
 * A value that throws while being written (its `toJSON`, a getter, a Proxy trap) is refused too,
 * with the thrown value as the error's `cause`.
 *
 * A flat plain object of strings, finite numbers, booleans and `null` (the usual event payload)
 * takes a fast path with the same output; anything else takes the general one.
 *
 * @param value The value to store; `undefined` itself returns `undefined` (stored as "no value").
 * @param what What is being stored, for the error message (or a function that says it, called
 *   only when the value is refused).
 * @returns The JSON text, or `undefined` for `undefined`.
 * @throws {SerializationError} when the value cannot be stored.
 * @example
 * ```ts
 * toStorableJson({ at: new Date(0) }, 'the order'); // '{"at":"1970-01-01T00:00:00.000Z"}'
 * ```
 */
export function toStorableJson(value: unknown, what: string | (() => string)): string | undefined {
  if (value === undefined) return undefined;
  let failed = false;
  let text: string | undefined;
  try {
    // A throwing getter, toJSON or Proxy trap anywhere below becomes a SerializationError.
    const flat = typeof value === 'object' && value !== null ? flatObjectJson(value) : undefined;
    if (flat !== undefined) return flat;
    text = JSON.stringify(value, function check(this: Record<string, unknown>, key: string, json: unknown) {
      if (!failed && (problemOf(this[key], json) !== undefined || problemOf(key, key) !== undefined))
        failed = true;
      return json;
    });
  } catch (error) {
    refuse(value, what, error);
  }
  if (failed || text === undefined) refuse(value, what);
  return text;
}

/**
 * A deep copy of `value` exactly as a store would give it back: {@link toStorableJson} then
 * `JSON.parse`. In-memory stores keep and return such copies, so they accept, refuse and change
 * values exactly as the PostgreSQL stores do, and a caller mutating a value never changes what
 * the store holds.
 *
 * @throws {SerializationError} when the value cannot be stored.
 */
export function storableCopy<T>(value: T, what: string): T {
  const text = toStorableJson(value, what);
  return (text === undefined ? undefined : JSON.parse(text)) as T;
}
