import assert from 'node:assert/strict';

/**
 * `value` as the contracts compare it: objects (class ignored) by their own enumerable
 * properties with `undefined` ones left out, arrays element by element, anything else as is.
 * Stores and transports hand back JSON copies, where an `undefined` property is simply absent.
 */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || value instanceof RegExp || value instanceof Map || value instanceof Set) {
    return value;
  }
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  return Object.fromEntries(entries.map(([key, item]) => [key, comparable(item)]));
}

/**
 * Asserts `actual` equals `expected` in structure, as vitest's `toEqual` does: a property whose
 * value is `undefined` counts as absent and an object's class is not compared. A failure shows
 * the difference, after `context` when given.
 */
export function assertEqualValues(actual: unknown, expected: unknown, context?: string): void {
  try {
    assert.deepEqual(comparable(actual), comparable(expected));
  } catch (error) {
    if (context !== undefined && error instanceof assert.AssertionError) {
      error.message = `${context}: ${error.message}`;
    }
    throw error;
  }
}

/** Asserts `promise` rejects with `reason` itself (the same object), not a copy or a wrapper. */
export async function assertRejectsWith(promise: Promise<unknown>, reason: unknown): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal(error, reason, `expected a rejection with ${String(reason)} itself, got ${String(error)}`);
    return true;
  });
}
