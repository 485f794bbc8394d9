import { describe, expectTypeOf, it } from 'vitest';
import { specification, where } from './specification.js';
import type { Specification, SpecificationNode } from './specification.js';

type Order = { total: number; status: 'placed' | 'confirmed' };

describe('Specification types', () => {
  it('keeps the candidate type through and, or and not', () => {
    const a = specification<Order>('A', (o) => o.total > 1);
    expectTypeOf(a.and(a).or(a).not()).toEqualTypeOf<Specification<Order>>();
    expectTypeOf(a.describe()).toEqualTypeOf<SpecificationNode>();
  });

  it('checks where fields and values against the candidate type', () => {
    expectTypeOf(where<Order, 'status'>('status', 'eq', 'confirmed')).toEqualTypeOf<Specification<Order>>();
    // @ts-expect-error 'shipped' is not a status
    where<Order, 'status'>('status', 'eq', 'shipped');
    // @ts-expect-error 'in' needs an array
    where<Order, 'total'>('total', 'in', 3);
    // @ts-expect-error no such field
    where<Order, 'customer'>('customer', 'eq', 'x');
  });
});
