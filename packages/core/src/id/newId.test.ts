import { describe, expect, expectTypeOf, it, vi } from 'vitest';
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

describe('newId across loaded copies of the package', () => {
  it('keeps ids strictly increasing when two copies make them in turn', async () => {
    // A second copy, as when an app loads both the ESM and the CommonJS build of @keel/core.
    vi.resetModules();
    const copy = await import('./newId.js');
    vi.resetModules();
    expect(copy.newId).not.toBe(newId);
    const ids = Array.from({ length: 10_000 }, (_, index) => (index % 2 === 0 ? newId() : copy.newId()));
    const outOfOrder = ids.filter((id, index) => index > 0 && id <= ids[index - 1]!);
    expect(outOfOrder).toEqual([]);
  });
});
