import { isValidationError } from '@keel/core';
import { isDomainRuleViolation } from '@keel/ddd';
import { describe, expect, it } from 'vitest';
import { Address } from './address.js';
import { Money } from './money.js';
import { Order } from './order.js';
import type { OrderId } from './order.js';
import { bulkLineDiscount, PricingService, volumeDiscount } from './pricing.js';
import { highValueConfirmed } from './specifications.js';

const home = new Address({
  recipient: 'Ann',
  street: '1 Main St',
  postalCode: '1011 AB',
  city: 'Amsterdam',
  country: 'NL',
});
const pricing = new PricingService([volumeDiscount(Money.of(100, 'EUR'), 10), bulkLineDiscount(5, 10)], {
  maxDiscountPercent: 15,
});

function refusal(change: () => unknown): unknown {
  try {
    change();
  } catch (error) {
    return error;
  }
  return undefined;
}

const newOrder = () => Order.place('o-1' as OrderId, 'ann', 'EUR', home);

describe('Order', () => {
  it('refuses money in another currency', () => {
    expect(
      isDomainRuleViolation(
        refusal(() => newOrder().addItem('SKU-1', 1, Money.of(1, 'USD'))),
        'order.single-currency',
      ),
    ).toBe(true);
  });

  it('refuses adding two amounts of different currencies', () => {
    expect(
      isDomainRuleViolation(
        refusal(() => Money.of(1, 'EUR').add(Money.of(1, 'GBP'))),
        'money.same-currency',
      ),
    ).toBe(true);
  });

  it('refuses a negative amount with a ValidationError', () => {
    expect(isValidationError(refusal(() => Money.of(-1, 'EUR')))).toBe(true);
  });

  it('refuses to confirm an empty order', () => {
    const order = newOrder();
    expect(
      isDomainRuleViolation(
        refusal(() => order.confirm(pricing.quote(order))),
        'order.not-empty',
      ),
    ).toBe(true);
  });

  it('refuses edits once confirmed', () => {
    const order = newOrder();
    order.addItem('SKU-1', 1, Money.of(10, 'EUR'));
    order.confirm(pricing.quote(order));
    expect(
      isDomainRuleViolation(
        refusal(() => order.removeItem('SKU-1')),
        'order.confirmed-is-final',
      ),
    ).toBe(true);
  });

  it('refuses a quote made before the lines changed', () => {
    const order = newOrder();
    order.addItem('SKU-1', 1, Money.of(10, 'EUR'));
    const quote = pricing.quote(order);
    order.addItem('SKU-2', 1, Money.of(5, 'EUR'));
    expect(
      isDomainRuleViolation(
        refusal(() => order.confirm(quote)),
        'order.quote-is-current',
      ),
    ).toBe(true);
  });

  it('raises no event when the shipping address is equal by value', () => {
    const order = newOrder();
    order.changeShippingAddress(new Address({ ...home.props }));
    expect(order.version).toBe(1);
  });

  it('rebuilds the same order from its events', () => {
    const order = newOrder();
    order.addItem('SKU-1', 2, Money.of(10, 'EUR'));
    order.addItem('SKU-1', 1, Money.of(10, 'EUR'));
    const copy = new Order(order.id).loadFromHistory(order.uncommittedEvents);
    expect(copy.subtotal.equals(order.subtotal)).toBe(true);
    expect(copy.lines.get('SKU-1')?.quantity).toBe(3);
  });
});

describe('PricingService', () => {
  it('caps stacked discounts', () => {
    const order = newOrder();
    order.addItem('SKU-1', 10, Money.of(20, 'EUR'));
    const quote = pricing.quote(order);
    expect([quote.subtotal.format(), quote.discount.format(), quote.total.format()]).toEqual([
      '€200.00',
      '€30.00',
      '€170.00',
    ]);
    expect(quote.applied.at(-1)).toBe('capped at 15%');
  });

  it('feeds the high-value specification once confirmed', () => {
    const order = newOrder();
    order.addItem('SKU-1', 1, Money.of(600, 'EUR'));
    const spec = highValueConfirmed(Money.of(500, 'EUR'));
    expect(spec.isSatisfiedBy(order)).toBe(false);
    order.confirm(pricing.quote(order));
    expect(spec.isSatisfiedBy(order)).toBe(true);
  });
});
