// Imports vitest under node:test: spawned by contractsUnderNodeTest.test.ts to prove the child
// refuses vitest, so the contract fixtures passing there means they load none of it.
import { test } from 'node:test';
import { expect } from 'vitest';

test('is never reached: loading vitest fails first', () => {
  expect(true).toBe(true);
});
