import type { Brand } from '@keel/core';
import { AggregateRoot } from '@keel/ddd';
import type { AggregateRootOptions, EventHandlers } from '@keel/ddd';
import type { Customer } from './customer.js';

/** Sales' order number. */
export type OrderId = Brand<string, 'SalesOrderId'>;

/** The currencies Sales sells in. */
export const SALES_CURRENCIES = ['EUR', 'GBP', 'USD'] as const;
export type SalesCurrency = (typeof SALES_CURRENCIES)[number];

/** One line of a Sales order; prices in cents. */
export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

/** The events of a Sales order: internal to Sales, never published as they are. */
export type OrderEvents = {
  OrderPlaced: { customerId: string; currency: SalesCurrency; lines: OrderLine[] };
  OrderCancelled: { reason: string };
};

/**
 * An order as Sales sees one: what a customer bought, in which currency, and whether Sales
 * will still deliver it. Billing's `Invoice` is a different model of the same business fact.
 */
export class Order extends AggregateRoot<OrderId, OrderEvents> {
  readonly aggregateType = 'Order';
  status: 'new' | 'placed' | 'cancelled' = 'new';
  customerId = '';
  currency: SalesCurrency = 'EUR';
  lines: readonly OrderLine[] = [];

  protected readonly handlers: EventHandlers<OrderEvents> = {
    OrderPlaced: ({ customerId, currency, lines }) => {
      this.status = 'placed';
      this.customerId = customerId;
      this.currency = currency;
      this.lines = lines;
    },
    OrderCancelled: () => {
      this.status = 'cancelled';
    },
  };

  /** The sum of the lines, in cents. */
  get totalCents(): number {
    return this.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  }

  /** Places an order for a registered customer: the only way to create one. */
  static place(
    id: OrderId,
    customer: Customer,
    currency: SalesCurrency,
    lines: OrderLine[],
    options: AggregateRootOptions = {},
  ): Order {
    const order: Order = new Order(id, options);
    order.ensure(
      SALES_CURRENCIES.includes(currency),
      'order.currency',
      `Sales sells in ${SALES_CURRENCIES.join(', ')}; got ${currency}.`,
    );
    order.ensure(lines.length > 0, 'order.not-empty', `Order ${id} has no lines; add at least one.`);
    for (const { sku, quantity, unitPriceCents } of lines) {
      order.ensure(
        Number.isInteger(quantity) &&
          quantity >= 1 &&
          Number.isInteger(unitPriceCents) &&
          unitPriceCents >= 0,
        'order.line',
        `Line ${sku}: quantity must be a whole number >= 1 and the price whole cents >= 0; got ${quantity} × ${unitPriceCents}.`,
      );
    }
    order.raise('OrderPlaced', { customerId: String(customer.id), currency, lines: [...lines] });
    return order;
  }

  /** Cancels a placed order. */
  cancel(reason: string): void {
    this.ensure(
      this.status === 'placed',
      'order.cancel-placed',
      `Order ${this.id} is ${this.status}; only a placed order can be cancelled.`,
    );
    this.raise('OrderCancelled', { reason });
  }
}
