import assert from 'node:assert/strict';
import { describeError } from '@keel/core/testing';

/** Asserts that `caught` passes `guard`, naming the error expected and what came instead. */
export function assertError(caught: unknown, guard: (value: unknown) => boolean, expected: string): void {
  assert.ok(guard(caught), `Expected a ${expected} but got ${describeError(caught)}.`);
}
