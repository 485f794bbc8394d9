import { describe, expect, it } from 'vitest';
import { decodeInvalidation, encodeInvalidation } from './invalidationMessage.js';

describe('invalidation messages', () => {
  it('decode what encode produced', () => {
    const keyed = { source: 's', keys: ['a', 'b'] };
    expect(decodeInvalidation(encodeInvalidation(keyed))).toEqual(keyed);
    expect(decodeInvalidation(encodeInvalidation({ source: 's', all: true }))).toEqual({
      source: 's',
      all: true,
    });
  });

  it('ignore text that is not an invalidation', () => {
    expect(decodeInvalidation('not json')).toBeUndefined();
    expect(decodeInvalidation('null')).toBeUndefined();
    expect(decodeInvalidation('{"source":1,"keys":[]}')).toBeUndefined();
    expect(decodeInvalidation('{"source":"s","keys":[1]}')).toBeUndefined();
  });
});
