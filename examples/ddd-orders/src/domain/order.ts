import type { Brand } from '@keel/core';
import { AggregateRoot } from '@keel/ddd';
import type { EventHandlers } from '@keel/ddd';
import { Address } from './address.js';
import { Money } from './money.js';
import type { Currency } from './money.js';
import { OrderLine } from './orderLine.js';
import type { OrderEvents } from './orderEvents.js';
import type { PriceQuote } from './pricing.js';

export type OrderId = Brand<string, 'OrderId'>;
export type OrderStatus = 'new' | 'open' | 'confirmed';

/**
 * The Order aggregate: the consistency boundary for an order and its lines. Every change is a
 * domain event applied by a handler; every rule is checked with `ensure()` before raising.
 */
export class Order extends AggregateRoot<OrderId, OrderEvents> {
  readonly aggregateType = 'Order';

  status: OrderStatus = 'new';
  customerId = '';
  currency: Currency = 'EUR';
  shippingAddress: Address | undefined;
  lines = new Map<string, OrderLine>();
  total: Money | undefined;
  discounts: readonly string[] = [];

  protected readonly handlers: EventHandlers<OrderEvents> = {
    OrderPlaced: ({ customerId, currency, shippingAddress }) => {
      this.status = 'open';
      this.customerId = customerId;
      this.currency = currency;
      this.shippingAddress = new Address(shippingAddress);
    },
    ItemAdded: ({ sku, quantity, unitPrice }) => {
      const existing = this.lines.get(sku)?.quantity ?? 0;
      this.lines.set(
        sku,
        new OrderLine({ sku, quantity: existing + quantity, unitPrice: new Money(unitPrice) }),
      );
    },
    ItemRemoved: ({ sku }) => {
      this.lines.delete(sku);
    },
    ShippingAddressChanged: ({ shippingAddress }) => {
      this.shippingAddress = new Address(shippingAddress);
    },
    OrderConfirmed: ({ total, discounts }) => {
      this.status = 'confirmed';
      this.total = new Money(total);
      this.discounts = discounts;
    },
  };

  /** Places a new order: the only way to create one. */
  static place(id: OrderId, customerId: string, currency: Currency, shippingAddress: Address): Order {
    const order = new Order(id);
    order.raise('OrderPlaced', { customerId, currency, shippingAddress: shippingAddress.props });
    return order;
  }

  /** The sum of the lines, before discounts. */
  get subtotal(): Money {
    return [...this.lines.values()].reduce((sum, line) => sum.add(line.total), Money.zero(this.currency));
  }

  /** The confirmed total in cents, or undefined while open (used by specifications). */
  get totalAmount(): number | undefined {
    return this.total?.amount;
  }

  addItem(sku: string, quantity: number, unitPrice: Money): void {
    this.#ensureEditable('add an item');
    this.ensure(
      unitPrice.currency === this.currency,
      'order.single-currency',
      `Order ${this.id} is in ${this.currency}; an item priced in ${unitPrice.currency} (${unitPrice.format()}) cannot be added.`,
    );
    const line = new OrderLine({ sku, quantity, unitPrice }); // validates sku and quantity before raising
    this.raise('ItemAdded', { sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice.props });
  }

  removeItem(sku: string): void {
    this.#ensureEditable('remove an item');
    this.ensure(this.lines.has(sku), 'order.line-exists', `Order ${this.id} has no line for ${sku}.`);
    this.raise('ItemRemoved', { sku });
  }

  changeShippingAddress(address: Address): void {
    this.#ensureEditable('change the shipping address');
    if (this.shippingAddress?.equals(address)) return; // value equality: nothing changed
    this.raise('ShippingAddressChanged', { shippingAddress: address.props });
  }

  /** Confirms the order at the price a pricing service quoted for exactly these lines. */
  confirm(quote: PriceQuote): void {
    this.#ensureEditable('confirm it');
    this.ensure(
      this.lines.size > 0,
      'order.not-empty',
      `Order ${this.id} has no items; add one before confirming.`,
    );
    this.ensure(
      quote.subtotal.equals(this.subtotal),
      'order.quote-is-current',
      () =>
        `The quote is for ${quote.subtotal.format()} but the order now totals ${this.subtotal.format()}; quote again.`,
    );
    this.raise('OrderConfirmed', {
      customerId: this.customerId,
      subtotal: quote.subtotal.props,
      discount: quote.discount.props,
      total: quote.total.props,
      discounts: [...quote.applied],
    });
  }

  #ensureEditable(action: string): void {
    this.ensure(
      this.status === 'open',
      'order.confirmed-is-final',
      `Order ${this.id} is ${this.status}; you cannot ${action} any more. Place a new order instead.`,
    );
  }
}
