import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Brand } from './newId.js';
import { isUuid, newId } from './newId.js';

describe('newId', () => {
  it('returns a version 7 UUID', () => {
    const id = newId();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
  });

  it('returns ids that sort in creation order and never repeat', () => {
    const ids = Array.from({ length: 2000 }, () => newId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('isUuid rejects what is not a UUID', () => {
    expect(isUuid('not-a-uuid')).toBe(false);
    expect(isUuid(42)).toBe(false);
    expect(isUuid('01932c07-0000-7000-8000-00000000000')).toBe(false);
  });

  it('branded ids keep their brand in the type system', () => {
    type OrderId = Brand<string, 'OrderId'>;
    type CustomerId = Brand<string, 'CustomerId'>;
    expectTypeOf<OrderId>().not.toEqualTypeOf<CustomerId>();
    expectTypeOf<OrderId>().toExtend<string>();
  });
});
