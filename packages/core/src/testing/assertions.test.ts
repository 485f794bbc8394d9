import assert from 'node:assert/strict';
import { describe, expect, it } from 'vitest';
import {
  assertEqual,
  assertMatches,
  assertRejects,
  assertRejectsWith,
  describeError,
  rejectionOf,
} from './assertions.js';
import { renderValue, valuesEqual } from './valuesEqual.js';

describe('valuesEqual', () => {
  it('compares as toEqual does: structure, not class; undefined properties as absent', () => {
    class Money {
      constructor(readonly amount: number) {}
    }
    expect(valuesEqual(new Money(5), { amount: 5 })).toBe(true);
    expect(valuesEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(valuesEqual(new Date(5), new Date(5))).toBe(true);
    expect(valuesEqual(new Map([['k', [1]]]), new Map([['k', [1]]]))).toBe(true);
    expect(valuesEqual(new Set([{ a: 1 }, 2]), new Set([2, { a: 1 }]))).toBe(true);
    expect(valuesEqual([1, [2, { c: 3 }]], [1, [2, { c: 3 }]])).toBe(true);
    expect(valuesEqual(Number.NaN, Number.NaN)).toBe(true);
  });

  it('tells different values apart', () => {
    expect(valuesEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(valuesEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(valuesEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(valuesEqual([1], { 0: 1 })).toBe(false);
    expect(valuesEqual(new Date(5), new Date(6))).toBe(false);
    expect(valuesEqual(new Map([['k', 1]]), new Map([['k', 2]]))).toBe(false);
    expect(valuesEqual(new Set([1]), new Set([2]))).toBe(false);
    expect(valuesEqual(null, {})).toBe(false);
    expect(valuesEqual(/a/g, /a/)).toBe(false);
    expect(valuesEqual(1, '1')).toBe(false);
  });
});

describe('renderValue', () => {
  it('shows JSON, BigInts and cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    expect(renderValue({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(renderValue(12n)).toBe('"12n"');
    expect(renderValue(cyclic)).toBe('{"a":1,"self":"[Circular]"}');
    expect(renderValue(undefined)).toBe('undefined');
  });
});

describe('the contract assertions', () => {
  it('assertEqual passes what toEqual passes and throws an AssertionError with both values otherwise', () => {
    assertEqual({ a: 1, b: undefined }, { a: 1 });
    expect(() => assertEqual({ a: 1 }, { a: 2 }, 'the stored value')).toThrow(
      'the stored value: got {"a":1}, expected {"a":2}.',
    );
    expect(() => assertEqual({ a: 1 }, { a: 2 })).toThrow(assert.AssertionError);
  });

  it('assertMatches checks the listed properties only, recursively', () => {
    assertMatches({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 2 } });
    expect(() => assertMatches({ a: 1 }, { a: 1, b: 2 })).toThrow(assert.AssertionError);
    expect(() => assertMatches({ list: [1, 2] }, { list: [1] })).toThrow(assert.AssertionError);
  });

  it('rejectionOf returns the rejection and fails a call that resolves', async () => {
    const reason = new Error('no');
    expect(await rejectionOf(() => Promise.reject(reason))).toBe(reason);
    await expect(rejectionOf(() => Promise.resolve(1))).rejects.toThrow('Expected a rejection');
  });

  it('assertRejects checks the rejection with a predicate and names what came', async () => {
    const isRange = (error: unknown): boolean => error instanceof RangeError;
    const error = await assertRejects(() => Promise.reject(new RangeError('far')), isRange, 'a RangeError');
    expect(error).toBeInstanceOf(RangeError);
    await expect(
      assertRejects(() => Promise.reject(new TypeError('bad')), isRange, 'expected a RangeError'),
    ).rejects.toThrow('expected a RangeError, got TypeError: bad');
  });

  it('assertRejectsWith wants the very reason, not a copy', async () => {
    const reason = new Error('stop');
    await assertRejectsWith(Promise.reject(reason), reason);
    await expect(assertRejectsWith(Promise.reject(new Error('stop')), reason)).rejects.toThrow(
      assert.AssertionError,
    );
  });

  it('describeError names the error, its code and its message', () => {
    const coded = Object.assign(new Error('refused'), { code: 'E_X' });
    expect(describeError(coded)).toBe('Error (E_X): refused');
    expect(describeError(new TypeError('t'))).toBe('TypeError: t');
    expect(describeError({ a: 1 })).toBe('{"a":1}');
    expect(describeError(undefined)).toBe('undefined (no error)');
  });
});
