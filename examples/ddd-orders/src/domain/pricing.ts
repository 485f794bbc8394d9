import { ensureRule } from '@keel/ddd';
import { Money } from './money.js';
import type { Order } from './order.js';

/** What a pricing service quotes for an order. */
export interface PriceQuote {
  readonly subtotal: Money;
  readonly discount: Money;
  readonly total: Money;
  /** Names of the discounts that applied, e.g. `volume 5%`. */
  readonly applied: readonly string[];
}

/** One discount rule: how much it takes off an order (zero when it does not apply). */
export interface DiscountRule {
  readonly name: string;
  discountFor(order: Order): Money;
}

/** `percent` % off when the subtotal reaches `threshold`. */
export function volumeDiscount(threshold: Money, percent: number): DiscountRule {
  return {
    name: `volume ${percent}% from ${threshold.format()}`,
    discountFor: (order) =>
      order.currency === threshold.currency && order.subtotal.isAtLeast(threshold)
        ? order.subtotal.percentage(percent)
        : Money.zero(order.currency),
  };
}

/** `percent` % off every line with at least `minQuantity` units of one SKU. */
export function bulkLineDiscount(minQuantity: number, percent: number): DiscountRule {
  return {
    name: `bulk ${percent}% on lines of ${minQuantity}+`,
    discountFor: (order) =>
      [...order.lines.values()]
        .filter((line) => line.quantity >= minQuantity)
        .reduce((sum, line) => sum.add(line.total.percentage(percent)), Money.zero(order.currency)),
  };
}

/**
 * A domain service: pricing needs knowledge (the discount rules) that belongs to no single
 * aggregate, so it lives in a stateless service that reads the order and returns a quote.
 * The Order then checks the quote still matches its lines when it is confirmed.
 */
export class PricingService {
  readonly #rules: readonly DiscountRule[];
  readonly #maxDiscountPercent: number;

  constructor(rules: readonly DiscountRule[], options: { maxDiscountPercent?: number } = {}) {
    const max = options.maxDiscountPercent ?? 15;
    ensureRule(
      max >= 0 && max <= 100,
      'pricing.discount-cap-range',
      `A discount cap is 0..100 %; got ${max}.`,
    );
    this.#rules = rules;
    this.#maxDiscountPercent = max;
  }

  quote(order: Order): PriceQuote {
    const subtotal = order.subtotal;
    const found = this.#rules
      .map((rule) => ({ name: rule.name, amount: rule.discountFor(order) }))
      .filter((discount) => discount.amount.amount > 0);
    const total = found.reduce((sum, discount) => sum.add(discount.amount), Money.zero(order.currency));
    const cap = subtotal.percentage(this.#maxDiscountPercent);
    const capped = total.amount > cap.amount;
    const discount = capped ? cap : total;
    const applied = found
      .map((item) => item.name)
      .concat(capped ? [`capped at ${this.#maxDiscountPercent}%`] : []);
    return { subtotal, discount, total: subtotal.subtract(discount), applied };
  }
}
