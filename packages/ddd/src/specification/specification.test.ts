import { isValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchError } from '../internal/catchError.fixture.js';
import { ValueObject } from '../valueObject/valueObject.js';
import { allOf, anyOf, not, specification, where } from './specification.js';

type Order = { total: number; status: 'placed' | 'confirmed' | 'cancelled'; country: string };

const order = (total: number, status: Order['status'] = 'confirmed', country = 'NL'): Order => ({
  total,
  status,
  country,
});
const highValue = (min: number) => specification<Order>('HighValue', (o) => o.total >= min, { min });
const confirmed = where<Order, 'status'>('status', 'eq', 'confirmed');

describe('Specification', () => {
  it('evaluates a named rule in memory', () => {
    expect(highValue(100).isSatisfiedBy(order(150))).toBe(true);
    expect(highValue(100).isSatisfiedBy(order(50))).toBe(false);
  });

  it('combines with and, or and not', () => {
    const spec = highValue(100)
      .and(confirmed)
      .or(where<Order, 'country'>('country', 'eq', 'BE'));
    expect(spec.isSatisfiedBy(order(150))).toBe(true);
    expect(spec.isSatisfiedBy(order(150, 'placed'))).toBe(false);
    expect(spec.isSatisfiedBy(order(1, 'placed', 'BE'))).toBe(true);
    expect(confirmed.not().isSatisfiedBy(order(1, 'cancelled'))).toBe(true);
    expect(not(confirmed).isSatisfiedBy(order(1))).toBe(false);
  });

  it('describes itself as a plain tree an adapter can translate', () => {
    const spec = highValue(1000)
      .and(confirmed)
      .and(where<Order, 'country'>('country', 'in', ['NL', 'BE']).not());
    expect(spec.describe()).toEqual({
      kind: 'and',
      specs: [
        { kind: 'rule', name: 'HighValue', params: { min: 1000 } },
        { kind: 'compare', field: 'status', op: 'eq', value: 'confirmed' },
        { kind: 'not', spec: { kind: 'compare', field: 'country', op: 'in', value: ['NL', 'BE'] } },
      ],
    });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec.describe());
    expect(Object.isFrozen(spec.describe())).toBe(true);
  });

  it('renders a readable form with parentheses only where needed', () => {
    const spec = highValue(1000)
      .and(confirmed.or(where<Order, 'total'>('total', 'lt', 5)))
      .and(confirmed.not());
    expect(spec.toString()).toBe(
      'HighValue(min=1000) AND (status eq "confirmed" OR total lt 5) AND NOT status eq "confirmed"',
    );
  });

  it('treats an empty allOf as true and an empty anyOf as false', () => {
    expect(allOf<Order>().isSatisfiedBy(order(1))).toBe(true);
    expect(anyOf<Order>().isSatisfiedBy(order(1))).toBe(false);
    expect(allOf<Order>().toString()).toBe('TRUE');
  });

  it('supports every comparison operator', () => {
    const o = order(10);
    expect(where<Order, 'total'>('total', 'gt', 9).isSatisfiedBy(o)).toBe(true);
    expect(where<Order, 'total'>('total', 'gte', 10).isSatisfiedBy(o)).toBe(true);
    expect(where<Order, 'total'>('total', 'lt', 10).isSatisfiedBy(o)).toBe(false);
    expect(where<Order, 'total'>('total', 'lte', 10).isSatisfiedBy(o)).toBe(true);
    expect(where<Order, 'total'>('total', 'ne', 10).isSatisfiedBy(o)).toBe(false);
    expect(where<Order, 'status'>('status', 'in', ['placed', 'confirmed']).isSatisfiedBy(o)).toBe(true);
  });

  it('compares eq, ne and in by structure: value objects by equals, dates by time, -0 as 0', () => {
    class Money extends ValueObject<{ amount: number; currency: string }> {}
    type Item = { price: Money; at: Date; tags: string[]; weight: number };
    const item: Item = {
      price: new Money({ amount: 5, currency: 'EUR' }),
      at: new Date(1000),
      tags: ['a', 'b'],
      weight: -0,
    };
    const five = () => new Money({ amount: 5, currency: 'EUR' });
    expect(where<Item, 'price'>('price', 'eq', five()).isSatisfiedBy(item)).toBe(true);
    expect(where<Item, 'price'>('price', 'ne', five()).isSatisfiedBy(item)).toBe(false);
    expect(
      where<Item, 'price'>('price', 'in', [five().with({ amount: 6 }), five()]).isSatisfiedBy(item),
    ).toBe(true);
    expect(where<Item, 'price'>('price', 'eq', five().with({ amount: 6 })).isSatisfiedBy(item)).toBe(false);
    expect(where<Item, 'at'>('at', 'eq', new Date(1000)).isSatisfiedBy(item)).toBe(true);
    expect(where<Item, 'tags'>('tags', 'eq', ['a', 'b']).isSatisfiedBy(item)).toBe(true);
    expect(where<Item, 'weight'>('weight', 'eq', 0).isSatisfiedBy(item)).toBe(true);
    expect(where<Item, 'weight'>('weight', 'in', [0]).isSatisfiedBy(item)).toBe(true);
  });

  it('filters candidates in order', () => {
    expect(
      highValue(10)
        .filter([order(5), order(20), order(10)])
        .map((o) => o.total),
    ).toEqual([20, 10]);
  });

  it('rejects an empty rule name and a non-array "in" value with ValidationError', () => {
    expect(isValidationError(catchError(() => specification<Order>('', () => true)))).toBe(true);
    expect(
      isValidationError(catchError(() => where<Order, 'total'>('total', 'in', 3 as unknown as number[]))),
    ).toBe(true);
  });

  it('obeys boolean algebra: and, or and not agree with their predicates for any input', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (min, total) => {
        const a = highValue(min);
        const b = confirmed;
        const candidate = order(total, total % 2 === 0 ? 'confirmed' : 'placed');
        const [pa, pb] = [a.isSatisfiedBy(candidate), b.isSatisfiedBy(candidate)];
        expect(a.and(b).isSatisfiedBy(candidate)).toBe(pa && pb);
        expect(a.or(b).isSatisfiedBy(candidate)).toBe(pa || pb);
        expect(a.and(b).not().isSatisfiedBy(candidate)).toBe(a.not().or(b.not()).isSatisfiedBy(candidate));
      }),
    );
  });
});
