import { describe, expect, it } from 'vitest';
import { ValueObject } from '../valueObject/valueObject.js';
import { Entity } from './entity.js';

class Customer extends Entity<string> {
  constructor(
    id: string,
    public name: string,
  ) {
    super(id);
  }
}
class Supplier extends Entity<string> {}

class Sku extends ValueObject<{ code: string }> {}
class Product extends Entity<Sku> {}

describe('Entity', () => {
  it('is equal to an entity of the same class with the same id, whatever its other fields', () => {
    expect(new Customer('c-1', 'Ann').equals(new Customer('c-1', 'Bob'))).toBe(true);
    expect(new Customer('c-1', 'Ann').equals(new Customer('c-2', 'Ann'))).toBe(false);
  });

  it('is never equal to an entity of another class with the same id', () => {
    expect(new Customer('x', 'Ann').equals(new Supplier('x'))).toBe(false);
    expect(new Customer('x', 'Ann').equals({ id: 'x' })).toBe(false);
  });

  it('compares value-object ids by structure', () => {
    expect(new Product(new Sku({ code: 'A1' })).equals(new Product(new Sku({ code: 'A1' })))).toBe(true);
    expect(new Product(new Sku({ code: 'A1' })).equals(new Product(new Sku({ code: 'B2' })))).toBe(false);
  });
});
