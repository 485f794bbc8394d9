import type { AggregateEventOf } from '@keel/ddd';
import type { AddressProps } from './address.js';
import type { MoneyProps } from './money.js';

/**
 * Every event the Order aggregate raises, by type. Payloads are plain data (not value objects)
 * so they serialise as they are; handlers turn them back into value objects.
 */
export type OrderEvents = {
  OrderPlaced: { customerId: string; currency: MoneyProps['currency']; shippingAddress: AddressProps };
  ItemAdded: { sku: string; quantity: number; unitPrice: MoneyProps };
  ItemRemoved: { sku: string };
  ShippingAddressChanged: { shippingAddress: AddressProps };
  OrderConfirmed: {
    customerId: string;
    subtotal: MoneyProps;
    discount: MoneyProps;
    total: MoneyProps;
    discounts: string[];
  };
};

/** The union of Order events, narrowed by `type`. */
export type OrderEvent = AggregateEventOf<OrderEvents>;
