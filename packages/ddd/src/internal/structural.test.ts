import { describe, expect, it } from 'vitest';
import { deepEqual, freezeCopy, idEquals, idToString } from './structural.js';

describe('structural helpers', () => {
  it('renders ids as strings, objects with sorted keys', () => {
    expect(idToString('o-1')).toBe('o-1');
    expect(idToString(42)).toBe('42');
    expect(idToString(10n)).toBe('10');
    expect(idToString({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
    expect(idToString({ toString: () => 'custom' })).toBe('custom');
    expect(() => idToString(undefined)).toThrow(/must be a string, number, bigint or object/);
  });

  it('compares dates by time and other class instances by reference', () => {
    expect(deepEqual(new Date(1), new Date(1))).toBe(true);
    expect(deepEqual(new Date(1), new Date(2))).toBe(false);
    expect(deepEqual(new Map(), new Map())).toBe(false);
    expect(deepEqual([1, [2]], [1, [2]])).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
  });

  it('compares ids through equals when they have one', () => {
    const id = { equals: (other: unknown) => other === 'same' };
    expect(idEquals(id, 'same')).toBe(true);
    expect(idEquals('a', 'a')).toBe(true);
    expect(idEquals('a', 'b')).toBe(false);
  });

  it('freezes copies of plain data and keeps class instances by reference', () => {
    const date = new Date(0);
    const copy = freezeCopy({ list: [{ n: 1 }], date });
    expect(Object.isFrozen(copy.list[0])).toBe(true);
    expect(copy.date).toBe(date);
  });
});
