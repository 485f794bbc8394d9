import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
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

  it.each([
    ['a boxed string with a NUL', { s: new String('a\u0000b') }, 's', /NUL/],
    ['a boxed string with a lone surrogate', [new String('\uD800')], '[0]', /surrogate/],
    ['a boxed NaN', { n: new Number(Number.NaN) }, 'n', /NaN/],
    ['a boxed Infinity at the root', new Number(Infinity), '(root)', /Infinity/],
    ['a boxed BigInt', { n: Object(1n) as unknown }, 'n', /BigInt/],
    ['a boxed symbol', { s: Object(Symbol('s')) as unknown }, 's', /symbol/],
    ['a SharedArrayBuffer', { b: new SharedArrayBuffer(4) }, 'b', /binary/],
    ['a DataView', { b: new DataView(new ArrayBuffer(4)) }, 'b', /binary/],
  ])('refuses %s, as the value JSON would write', (_name, value, path, problem) => {
    const error = refusal(value);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(problem);
  });

  it('stores valid boxed primitives as the primitives JSON writes for them', () => {
    const value = { s: new String('a'), n: new Number(1.5), b: new Boolean(false), e: new String('😀') };
    expect(toStorableJson(value, 'x')).toBe('{"s":"a","n":1.5,"b":false,"e":"😀"}');
  });

  it('points at the bad value, not inside a valid boxed string, when something else is refused', () => {
    expect(refusal({ a: new String('😀'), b: Number.NaN }).path).toBe('b');
  });

  it.each([
    ['a Map', 'new Map([["a", 1]])', /is a Map/],
    ['a Set', 'new Set([1])', /is a Set/],
    ['an Error', 'new TypeError("x")', /is an Error/],
    ['a RegExp', '/a/g', /RegExp/],
    ['a Promise', 'Promise.resolve(1)', /Promise/],
    ['an ArrayBuffer', 'new ArrayBuffer(2)', /binary/],
    ['a typed array', 'new Uint8Array(2)', /binary/],
    ['an invalid Date', 'new Date(NaN)', /invalid Date/],
    ['a boxed string with a NUL', 'new String("a\\u0000b")', /NUL/],
  ])('refuses %s made in another realm (a vm context)', (_name, source, problem) => {
    const value: unknown = runInNewContext(source);
    const error = refusal({ v: value });
    expect(error.path).toBe('v');
    expect(error.message).toMatch(problem);
    expect(() => storableCopy({ v: value }, 'x')).toThrow(problem);
  });

  it('stores plain objects, arrays and Dates made in another realm as JSON does', () => {
    const value: unknown = runInNewContext('({ a: [1, { b: "c" }], d: new Date(0) })');
    expect(toStorableJson(value, 'x')).toBe('{"a":[1,{"b":"c"}],"d":"1970-01-01T00:00:00.000Z"}');
  });

  describe('values that throw while being written', () => {
    const boom = new Error('boom');
    const thrower = () => {
      throw boom;
    };
    it.each([
      ['a toJSON that throws', { out: { toJSON: thrower } }, 'out'],
      ['a toJSON that throws, in an array', [1, { toJSON: thrower }], '[1]'],
      [
        'a getter that throws (a flat plain object)',
        {
          a: 1,
          get b(): unknown {
            return thrower();
          },
        },
        'b',
      ],
      [
        'a getter that throws, nested',
        {
          x: [
            {
              get y(): unknown {
                return thrower();
              },
            },
          ],
        },
        'x[0].y',
      ],
    ])('refuses %s with a SerializationError whose cause is what was thrown', (_name, value, path) => {
      const error = refusal(value);
      expect(error.cause).toBe(boom);
      expect(error.path).toBe(path);
      expect(error.message).toContain('the thing');
    });

    it('refuses a Proxy whose every trap throws', () => {
      const hostile = new Proxy(
        {},
        {
          get: thrower,
          has: thrower,
          ownKeys: thrower,
          getPrototypeOf: thrower,
          getOwnPropertyDescriptor: thrower,
        },
      );
      expect(refusal({ p: hostile }).cause).toBe(boom);
      expect(refusal(hostile).cause).toBe(boom);
      expect(() => storableCopy([hostile], 'the thing')).toThrow(expect.objectContaining({ cause: boom }));
    });
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

  describe('flat plain objects (the fast path)', () => {
    it.each([
      ['NaN', { a: 1, n: Number.NaN }, 'n', /NaN/],
      ['Infinity', { i: -Infinity }, 'i', /-Infinity/],
      ['a BigInt', { n: 2n }, 'n', /BigInt/],
      ['a Map', { m: new Map() }, 'm', /Map/],
      ['a NUL in a string', { s: 'a\u0000' }, 's', /NUL/],
      ['a NUL in a key', { '\u0000': 'x' }, '\u0000', /key that contains a NUL/],
      ['a lone surrogate', { s: 'x\uDC00' }, 's', /surrogate/],
      ['a lone surrogate in a key', { '\uD800': 1 }, '\uD800', /key that contains a lone/],
      ['a symbol', { s: Symbol('x') }, 's', /symbol/],
    ])('still refuses %s', (_name, value, path, problem) => {
      const error = refusal(value);
      expect(error.path).toBe(path);
      expect(error.message).toMatch(problem);
    });

    it('writes what JSON.stringify writes: -0 as 0, undefined properties left out, escapes, key order', () => {
      const value = {
        b: -0,
        a: 1e21,
        2: 'q"\n\t\u001f',
        1: true,
        gone: undefined,
        none: null,
        pair: '\uD83D\uDE00',
      };
      expect(toStorableJson(value, 'x')).toBe(JSON.stringify(value));
      expect(toStorableJson(Object.assign(Object.create(null) as object, { a: 1 }), 'x')).toBe('{"a":1}');
      expect(toStorableJson({}, 'x')).toBe('{}');
    });

    it('keeps the general rules for arrays and class instances', () => {
      class Point {
        constructor(readonly x: number) {}
      }
      expect(toStorableJson([1, undefined, -0], 'x')).toBe('[1,null,0]');
      expect(toStorableJson({ p: new Point(-0) }, 'x')).toBe('{"p":{"x":0}}');
      expect(toStorableJson(new Point(2), 'x')).toBe('{"x":2}');
    });

    it('reads each property once, as JSON.stringify does', () => {
      let reads = 0;
      const value = {
        get n(): number {
          reads += 1;
          return reads === 1 ? 1 : Number.NaN;
        },
      };
      expect(toStorableJson(value, 'x')).toBe('{"n":1}');
      expect(reads).toBe(1);
    });

    it('refuses exactly the flat objects with a non-finite number, a NUL or a lone surrogate, and otherwise writes JSON.stringify', () => {
      const unit = fc.oneof(
        fc.constantFrom('a', 'é', '"', '\\', '\n', '\u0000', '\uD800', '\uDC00', '\uD83D\uDE00'),
        fc.string({ maxLength: 3 }),
      );
      const text = fc.string({ unit, maxLength: 4 });
      const item = fc.oneof(text, fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
      const bad = (s: string): boolean =>
        s.includes('\u0000') ||
        /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
      fc.assert(
        fc.property(fc.dictionary(text, item, { maxKeys: 5 }), (value) => {
          const refused =
            Object.keys(value).some(bad) ||
            Object.values(value).some(
              (v) => (typeof v === 'number' && !Number.isFinite(v)) || (typeof v === 'string' && bad(v)),
            );
          if (refused) expect(() => toStorableJson(value, 'x')).toThrow(/Could not store x/);
          else expect(toStorableJson(value, 'x')).toBe(JSON.stringify(value));
        }),
        { seed: 11, numRuns: 2000 },
      );
    });
  });

  it('builds the description only when it refuses', () => {
    let built = 0;
    const what = (): string => {
      built += 1;
      return 'the lazy thing';
    };
    expect(toStorableJson({ a: 1 }, what)).toBe('{"a":1}');
    expect(toStorableJson({ a: [1] }, what)).toBe('{"a":[1]}');
    expect(built).toBe(0);
    expect(() => toStorableJson({ a: [Number.NaN] }, what)).toThrow(/the lazy thing/);
    expect(built).toBe(1);
  });
});
