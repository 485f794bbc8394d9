import { isSerializationError, isValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSerializer } from './serializer.js';

describe('jsonSerializer', () => {
  it('round-trips a structured value', () => {
    const value = { id: 'u1', tags: ['a'], score: 1.5, active: true, parent: null };
    expect(jsonSerializer.deserialize(jsonSerializer.serialize(value))).toEqual(value);
  });

  it('reads back every JSON value as the same text (-0 aside, which JSON writes as 0)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = jsonSerializer.serialize(value);
        expect(jsonSerializer.serialize(jsonSerializer.deserialize(text))).toBe(text);
      }),
    );
  });

  it('refuses undefined with a ValidationError instead of storing nothing', () => {
    const error: unknown = (() => {
      try {
        return jsonSerializer.serialize(undefined);
      } catch (e) {
        return e;
      }
    })();
    expect(isValidationError(error)).toBe(true);
  });

  it('refuses what JSON would silently change, as every Keel store does', () => {
    for (const value of [
      NaN,
      Infinity,
      { at: -Infinity },
      new Map([[1, 2]]),
      { f: () => 1 },
      10n,
      'a\u0000b',
    ]) {
      const error: unknown = (() => {
        try {
          return jsonSerializer.serialize(value, 'k');
        } catch (e) {
          return e;
        }
      })();
      expect(isSerializationError(error)).toBe(true);
      expect((error as Error).message).toContain('"k"');
    }
  });

  it('stores a Date as its ISO string, as JSON does', () => {
    expect(jsonSerializer.deserialize(jsonSerializer.serialize({ at: new Date(0) }))).toEqual({
      at: '1970-01-01T00:00:00.000Z',
    });
  });
});
