/**
 * What `toStorableJson` refuses and why: the checks of one value, as JSON is about to write it.
 * Objects of another realm and boxed primitives are recognised by their internal slots, not by
 * `instanceof`. Internal to core.
 */

const ERROR_PROBLEM = 'is an Error (JSON would store {}); store its message';
const BINARY_PROBLEM = 'is binary data; encode it as a base64 string';
const MAP_PROBLEM = 'is a Map (JSON would store {}); convert it with Object.fromEntries or [...map]';
const SET_PROBLEM = 'is a Set (JSON would store {}); convert it to an array';
const REGEXP_PROBLEM = 'is a RegExp (JSON would store {}); store its source as a string';
const PROMISE_PROBLEM = 'is a Promise; await it first';
const BIGINT_PROBLEM = 'is a BigInt; store it as a string';
const INVALID_DATE_PROBLEM = 'is an invalid Date';

/** Refused objects of this realm, subclasses included (whatever their `Symbol.toStringTag`). */
const REFUSED_OBJECTS: readonly [new (...args: never[]) => unknown, string][] = [
  [Map, MAP_PROBLEM],
  [Set, SET_PROBLEM],
  [WeakMap, 'is a WeakMap'],
  [WeakSet, 'is a WeakSet'],
  [RegExp, REGEXP_PROBLEM],
  [ArrayBuffer, BINARY_PROBLEM],
  [Promise, PROMISE_PROBLEM],
  [Error, ERROR_PROBLEM],
];

/**
 * Refused objects by their `Object.prototype.toString` tag, which names them in any realm (a
 * `vm` context, a worker's structured clone, a test environment) where `instanceof` does not.
 */
const REFUSED_TAGS: ReadonlyMap<string, string> = new Map([
  ['[object Map]', MAP_PROBLEM],
  ['[object Set]', SET_PROBLEM],
  ['[object WeakMap]', 'is a WeakMap'],
  ['[object WeakSet]', 'is a WeakSet'],
  ['[object RegExp]', REGEXP_PROBLEM],
  ['[object ArrayBuffer]', BINARY_PROBLEM],
  ['[object SharedArrayBuffer]', BINARY_PROBLEM],
  ['[object Promise]', PROMISE_PROBLEM],
  ['[object Error]', ERROR_PROBLEM],
]);

const tagOf = (value: object): string => Object.prototype.toString.call(value);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `raw` (before `toJSON`) becoming `value` cannot be stored, or `undefined` when it can. */
export function problemOf(raw: unknown, value: unknown): string | undefined {
  // Checked before `toJSON`: a KeelError has one (for logs), but stored data must stay plain.
  if (raw instanceof Error) return ERROR_PROBLEM;
  if (raw !== value && raw !== null && typeof raw === 'object') {
    // A `toJSON` changed it: an Error of another realm, or an invalid Date (toJSON gives null).
    const tag = tagOf(raw);
    if (tag === '[object Error]') return ERROR_PROBLEM;
    if (value === null && (raw instanceof Date || tag === '[object Date]')) return INVALID_DATE_PROBLEM;
  }
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000'))
        return 'contains a NUL character (\\u0000), which PostgreSQL cannot store';
      if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate, which is not valid Unicode';
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${value} (JSON would store null)`;
    case 'bigint':
      return BIGINT_PROBLEM;
    case 'function':
      return 'is a function (JSON would drop it)';
    case 'symbol':
      return 'is a symbol (JSON would drop it)';
    case 'object':
      return value === null ? undefined : objectProblem(value);
    default:
      return undefined;
  }
}

/** Why an object JSON would write cannot be stored; plain objects and arrays return at once. */
function objectProblem(value: object): string | undefined {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === Array.prototype || prototype === null) return undefined;
  if (ArrayBuffer.isView(value)) return BINARY_PROBLEM; // typed arrays and DataViews of any realm
  for (const [type, problem] of REFUSED_OBJECTS) if (value instanceof type) return problem;
  const tag = tagOf(value);
  return REFUSED_TAGS.get(tag) ?? boxedProblem(value, tag);
}

/**
 * Why a boxed primitive (`new String('a')`, `Object(1n)`, of any realm) cannot be stored: JSON
 * writes the primitive inside, after the checks have seen the box, so the primitive is checked.
 */
function boxedProblem(value: object, tag: string): string | undefined {
  switch (tag) {
    case '[object String]': {
      if (!holds(String.prototype.valueOf, value)) return undefined;
      const text = String(value); // what JSON writes: ToString of the box
      return problemOf(text, text);
    }
    case '[object Number]': {
      if (!holds(Number.prototype.valueOf, value)) return undefined;
      const number = Number(value); // what JSON writes: ToNumber of the box
      return problemOf(number, number);
    }
    case '[object BigInt]':
      return holds(BigInt.prototype.valueOf, value) ? BIGINT_PROBLEM : undefined;
    case '[object Symbol]':
      return holds(Symbol.prototype.valueOf, value) ? 'is a boxed symbol (JSON would store {})' : undefined;
    default:
      return undefined;
  }
}

/** Whether `value` is a box of `valueOf`'s primitive type (its internal slot, so from any realm). */
function holds(valueOf: (this: never) => unknown, value: object): boolean {
  try {
    valueOf.call(value as never);
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` is a boxed primitive JSON writes as its primitive (it has no keys to visit). */
export function isBoxedPrimitive(value: object): boolean {
  switch (tagOf(value)) {
    case '[object String]':
      return holds(String.prototype.valueOf, value);
    case '[object Number]':
      return holds(Number.prototype.valueOf, value);
    case '[object Boolean]':
      return holds(Boolean.prototype.valueOf, value);
    case '[object BigInt]':
      return holds(BigInt.prototype.valueOf, value);
    default:
      return false;
  }
}
