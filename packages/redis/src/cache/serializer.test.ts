import { isValidationError } from '@keel/core';
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
});
