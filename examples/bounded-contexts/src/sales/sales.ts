import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import type { EventTransport } from '@keel/cqrs';
import { EventSourcedRepository, ProjectionRunner } from '@keel/eventsourcing';
import type { CheckpointStore, EventStore } from '@keel/eventsourcing';
import type { SalesIntegrationEvent } from '../contracts/salesEvents.js';
import { Customer } from './customer.js';
import type { CustomerId, Segment } from './customer.js';
import { salesOpenHost } from './openHost.js';
import { Order } from './order.js';
import type { OrderId, OrderLine, SalesCurrency } from './order.js';

/** What the Sales context runs on: its own event store and the open host's checkpoint. */
export interface SalesOptions {
  readonly events: EventStore;
  readonly checkpoints: CheckpointStore;
  /** Where the published language goes. */
  readonly transport: EventTransport;
  /** @default systemClock */
  readonly clock?: Clock | undefined;
  /** Hears every integration event Sales published. */
  readonly onPublished?: ((event: SalesIntegrationEvent) => void) | undefined;
}

/** The Sales context's application service: what the rest of Sales' code calls. */
export interface SalesContext {
  readonly customers: EventSourcedRepository<Customer, CustomerId>;
  readonly orders: EventSourcedRepository<Order, OrderId>;
  registerCustomer(id: string, profile: { name: string; email: string; segment: Segment }): Promise<Customer>;
  placeOrder(id: string, customerId: string, currency: SalesCurrency, lines: OrderLine[]): Promise<Order>;
  cancelOrder(id: string, reason: string): Promise<Order>;
  /** Publishes every stored order event not yet published; resolves with how many it sent. */
  publish(options?: { signal?: AbortSignal }): Promise<number>;
}

/** Creates the Sales context over its own stores. */
export function createSales(options: SalesOptions): SalesContext {
  const clock = options.clock ?? systemClock;
  const customers = new EventSourcedRepository(
    options.events,
    (id: CustomerId) => new Customer(id, { clock }),
  );
  const orders = new EventSourcedRepository(options.events, (id: OrderId) => new Order(id, { clock }));
  let sent = 0;
  const openHost = new ProjectionRunner(
    options.events,
    salesOpenHost({
      transport: options.transport,
      customers,
      onPublished: (event) => {
        sent++;
        options.onPublished?.(event);
      },
    }),
    { checkpoints: options.checkpoints, batchSize: 1 },
  );
  return {
    customers,
    orders,
    async registerCustomer(id, profile) {
      const customer = Customer.register(id as CustomerId, profile, { clock });
      await customers.save(customer);
      return customer;
    },
    async placeOrder(id, customerId, currency, lines) {
      const customer = await customers.get(customerId as CustomerId);
      const order = Order.place(id as OrderId, customer, currency, lines, { clock });
      await orders.save(order);
      return order;
    },
    async cancelOrder(id, reason) {
      const order = await orders.get(id as OrderId);
      order.cancel(reason);
      await orders.save(order);
      return order;
    },
    async publish(publishOptions = {}) {
      const before = sent;
      await openHost.catchUp(publishOptions);
      return sent - before;
    },
  };
}
