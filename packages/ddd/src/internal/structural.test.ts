import { isValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchError } from './catchError.fixture.js';
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

  it('treats -0 as equal to 0 and NaN as equal to NaN, at any depth', () => {
    expect(deepEqual(-0, 0)).toBe(true);
    expect(deepEqual({ amount: -0, list: [-0] }, { amount: 0, list: [0] })).toBe(true);
    expect(deepEqual([Number.NaN], [Number.NaN])).toBe(true);
    expect(deepEqual(Number.NaN, null)).toBe(false);
  });

  it('compares an array hole as undefined from either side', () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    const holey = [, 1] as unknown[];
    expect(deepEqual(holey, [undefined, 1])).toBe(true);
    expect(deepEqual(holey, [null, 1])).toBe(false);
    expect(deepEqual([null, 1], holey)).toBe(false);
  });

  it('keeps the key-sorted JSON form for ids JSON writes exactly', () => {
    expect(idToString({ b: [1, 'x', null, true], a: { '10': 1, '2': 2, z: -0 } })).toBe(
      '{"a":{"2":2,"10":1,"z":0},"b":[1,"x",null,true]}',
    );
    expect(idToString({ at: new Date(0) })).toBe('{"at":"1970-01-01T00:00:00.000Z"}');
  });

  it('gives different strings to object ids JSON would merge', () => {
    const strings = [
      { n: Number.NaN },
      { n: null },
      { n: Number.POSITIVE_INFINITY },
      { n: 1, x: undefined },
      { n: 1 },
      { n: [undefined] },
      { n: [null] },
      { n: 10n },
      { n: '10n' },
      { n: new Date(Number.NaN) },
    ].map((id) => idToString(id));
    expect(new Set(strings).size).toBe(strings.length);
    expect(idToString({ n: -0 })).toBe(idToString({ n: 0 }));
    expect(idToString(-0)).toBe(idToString(0));
  });

  it('refuses object ids holding functions or symbols', () => {
    expect(isValidationError(catchError(() => idToString({ f: () => 1 })))).toBe(true);
    expect(isValidationError(catchError(() => idToString({ s: Symbol('s') })))).toBe(true);
    expect(isValidationError(catchError(() => idToString({ [Symbol('k')]: 1 })))).toBe(true);
  });

  it('gives two object ids the same string exactly when they are structurally equal', () => {
    const leaf = fc.constantFrom(
      0,
      -0,
      1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      null,
      undefined,
      '',
      'NaN',
      'null',
    );
    const value = fc.anything({
      values: [leaf],
      key: fc.constantFrom('a', 'b', '1'),
      maxDepth: 2,
      maxKeys: 2,
    });
    const id = fc.dictionary(fc.constantFrom('a', 'b'), value, { maxKeys: 2 });
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(idToString(a) === idToString(b)).toBe(deepEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('compares ids through equals when they have one', () => {
    const id = { equals: (other: unknown) => other === 'same' };
    expect(idEquals(id, 'same')).toBe(true);
    expect(idEquals('a', 'a')).toBe(true);
    expect(idEquals('a', 'b')).toBe(false);
    expect(idEquals(-0, 0)).toBe(true);
    expect(idEquals({ n: 1 }, { n: 1 })).toBe(true);
  });

  it('freezes copies of plain data and keeps class instances by reference', () => {
    const date = new Date(0);
    const copy = freezeCopy({ list: [{ n: 1 }], date });
    expect(Object.isFrozen(copy.list[0])).toBe(true);
    expect(copy.date).toBe(date);
  });
});
