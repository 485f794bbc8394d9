/**
 * Equality as Keel's spec helpers and contract suites compare values, the same as vitest's
 * `toEqual` and Jest's `toEqual`: primitives by
 * `Object.is`, dates by time, regular expressions by source and flags, maps and sets by
 * content, arrays element by element, other objects by their own enumerable properties (class
 * and prototype ignored), with properties whose value is `undefined` treated as absent.
 */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  if (a instanceof Map || b instanceof Map) return a instanceof Map && b instanceof Map && mapsEqual(a, b);
  if (a instanceof Set || b instanceof Set) return a instanceof Set && b instanceof Set && setsEqual(a, b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item: unknown, index) => valuesEqual(item, b[index]))
    );
  }
  return objectsEqual(a as Record<string, unknown>, b as Record<string, unknown>);
}

function definedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}

function objectsEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = definedKeys(a);
  if (keys.length !== definedKeys(b).length) return false;
  return keys.every((key) => valuesEqual(a[key], b[key]));
}

function mapsEqual(a: Map<unknown, unknown>, b: Map<unknown, unknown>): boolean {
  if (a.size !== b.size) return false;
  return [...a].every(([key, value]) => b.has(key) && valuesEqual(value, b.get(key)));
}

function setsEqual(a: Set<unknown>, b: Set<unknown>): boolean {
  if (a.size !== b.size) return false;
  const rest = [...b];
  return [...a].every((item) => {
    const index = rest.findIndex((other) => valuesEqual(item, other));
    if (index === -1) return false;
    rest.splice(index, 1);
    return true;
  });
}

/**
 * A readable one-line form of `value` for failure messages: JSON, with BigInts as `12n` and
 * cycles as `[Circular]`; `String(value)` for what JSON cannot show.
 */
export function renderValue(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    const text = JSON.stringify(value, (_key, item: unknown) => {
      if (typeof item === 'bigint') return `${item}n`;
      if (typeof item === 'object' && item !== null) {
        if (seen.has(item)) return '[Circular]';
        seen.add(item);
      }
      return item;
    });
    return text ?? String(value);
  } catch {
    return String(value);
  }
}
