import { specification, where } from '@keel/ddd';
import type { Specification } from '@keel/ddd';
import type { Money } from './money.js';
import type { Order } from './order.js';

/**
 * Specifications: named business predicates that combine with and/or/not, run in memory, and
 * describe themselves (`describe()`) so a database adapter could translate them to a query.
 */
export const isConfirmed: Specification<Order> = where<Order, 'status'>('status', 'eq', 'confirmed');

/** Orders whose confirmed total is at least `min` (same currency). */
export function totalAtLeast(min: Money): Specification<Order> {
  return specification<Order>(
    'TotalAtLeast',
    (order) => order.total !== undefined && order.currency === min.currency && order.total.isAtLeast(min),
    { amount: min.amount, currency: min.currency },
  );
}

/** Orders shipping to one of `countries`. */
export function shipsTo(...countries: string[]): Specification<Order> {
  return specification<Order>(
    'ShipsTo',
    (order) => order.shippingAddress !== undefined && countries.includes(order.shippingAddress.country),
    { countries },
  );
}

/** Confirmed orders worth at least `min`: the ones the fulfilment team handles first. */
export function highValueConfirmed(min: Money): Specification<Order> {
  return isConfirmed.and(totalAtLeast(min));
}
