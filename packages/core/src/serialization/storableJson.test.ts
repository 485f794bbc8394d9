import { describe, expect, it } from 'vitest';
import { KeelError } from '../errors/keelError.js';
import { isSerializationError, storableCopy, toStorableJson } from './storableJson.js';
import type { SerializationError } from './storableJson.js';

function refusal(value: unknown): SerializationError {
  try {
    toStorableJson(value, 'the thing');
  } catch (error) {
    if (isSerializationError(error)) return error;
    throw error;
  }
  throw new Error('expected a SerializationError');
}

describe('toStorableJson', () => {
  it.each([
    ['a NUL in a string', { a: 'x\u0000y' }, 'a', /NUL/],
    ['a NUL in a key', { 'k\u0000': 1 }, 'k\u0000', /key that contains a NUL/],
    ['a lone surrogate', { a: ['\uD800'] }, 'a[0]', /surrogate/],
    ['a BigInt', { n: 1n }, 'n', /BigInt/],
    ['NaN', [1, Number.NaN], '[1]', /NaN/],
    ['Infinity', { x: { y: Infinity } }, 'x.y', /Infinity/],
    ['a function', { f: () => 1 }, 'f', /function/],
    ['a Map', { m: new Map([[1, 2]]) }, 'm', /Map/],
    ['a Set', { s: new Set([1]) }, 's', /Set/],
    ['an invalid Date', { d: new Date(Number.NaN) }, 'd', /invalid Date/],
    ['binary data', { b: new Uint8Array(2) }, 'b', /binary/],
    ['an Error', { e: new Error('x') }, 'e', /is an Error/],
    ['a KeelError, although it has a toJSON', { e: new KeelError('X', 'x') }, 'e', /is an Error/],
  ])('refuses %s with the path to it', (_name, value, path, problem) => {
    const error = refusal(value);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain('the thing');
  });

  it('refuses a cycle', () => {
    const value: Record<string, unknown> = { a: 1 };
    value['self'] = value;
    expect(refusal(value).message).toMatch(/cycle/);
  });

  it('stores Dates as ISO strings and class instances as their own properties', () => {
    class Money {
      constructor(readonly cents: number) {}
      double(): number {
        return this.cents * 2;
      }
    }
    expect(storableCopy({ at: new Date(0), price: new Money(5), gone: undefined }, 'x')).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      price: { cents: 5 },
    });
  });

  it('keeps undefined as no value and turns undefined array items into null', () => {
    expect(toStorableJson(undefined, 'x')).toBeUndefined();
    expect(storableCopy([1, undefined], 'x')).toEqual([1, null]);
  });

  it('returns a copy that does not share objects with the input', () => {
    const input = { list: [1, 2] };
    const copy = storableCopy(input, 'x');
    copy.list.push(3);
    expect(input.list).toEqual([1, 2]);
  });
});
