// Assertions the contract suites of every package share, on `node:assert`, so a suite needs no
// particular test runner. Where `node:assert`'s deep equality is stricter than the suites mean
// (it compares prototypes and keeps `undefined` properties), these compare as `toEqual` does.
import assert from 'node:assert/strict';
import { renderValue, valuesEqual } from './valuesEqual.js';

/**
 * Asserts `actual` equals `expected` as vitest's `toEqual` compares (see `valuesEqual`): structure,
 * not class; properties holding `undefined` count as absent. Throws an `AssertionError` carrying
 * both values, which runners show as a diff.
 */
export function assertEqual(actual: unknown, expected: unknown, message?: string): void {
  if (valuesEqual(actual, expected)) return;
  throw new assert.AssertionError({
    message: `${message ?? 'Expected the values to be equal'}: got ${renderValue(actual)}, expected ${renderValue(expected)}.`,
    actual,
    expected,
    operator: 'deepEqual',
  });
}

/**
 * Asserts `actual` holds every property of `expected`, recursively, as vitest's `toMatchObject`
 * checks: objects may hold more properties than listed, arrays must have the same length.
 */
export function assertMatches(actual: unknown, expected: object, message?: string): void {
  const listed = pickListed(actual, expected);
  if (valuesEqual(listed, expected)) return;
  throw new assert.AssertionError({
    message: `${message ?? 'Expected the value to hold the listed properties'}: got ${renderValue(listed)}, expected ${renderValue(expected)}.`,
    actual: listed,
    expected,
    operator: 'deepEqual',
  });
}

/** `actual` reduced to the properties `expected` lists (recursively), to compare with it. */
function pickListed(actual: unknown, expected: unknown): unknown {
  if (typeof actual !== 'object' || actual === null) return actual;
  if (typeof expected !== 'object' || expected === null) return actual;
  if (expected instanceof Date || expected instanceof RegExp) return actual;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return actual;
    return actual.map((item: unknown, index) => pickListed(item, expected[index]));
  }
  const source = actual as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) {
    // A missing property stays missing, so the comparison fails on it.
    if (key in source) picked[key] = pickListed(source[key], (expected as Record<string, unknown>)[key]);
  }
  return picked;
}

/** Asserts `run` rejects with a value for which `accept` holds; returns what it rejected with. */
export async function assertRejects(
  run: () => Promise<unknown>,
  accept: (error: unknown) => boolean,
  message: string,
): Promise<unknown> {
  const error = await rejectionOf(run);
  assert.ok(accept(error), `${message}, got ${describeError(error)}`);
  return error;
}

/** Runs `run` and returns what it rejected with (fails if it resolved). */
export async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new assert.AssertionError({ message: 'Expected a rejection, but the call resolved.' });
}

/**
 * How a caught value reads in a failure message: an error's name, its `code` when it has one,
 * and its message; any other value rendered as {@link renderValue} does.
 */
export function describeError(error: unknown): string {
  if (error === undefined) return 'undefined (no error)';
  if (!(error instanceof Error)) return renderValue(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` (${code})` : ''}: ${error.message}`;
}

/** Asserts `promise` rejects with `reason` itself (the same object), not a copy or a wrapper. */
export async function assertRejectsWith(promise: Promise<unknown>, reason: unknown): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal(error, reason, `expected a rejection with ${String(reason)} itself, got ${String(error)}`);
    return true;
  });
}
