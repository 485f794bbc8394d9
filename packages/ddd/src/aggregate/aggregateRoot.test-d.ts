import type { Brand } from '@keel/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { AggregateEvent, AggregateEventOf, EventHandlers } from './aggregateEvent.js';
import { AggregateRoot } from './aggregateRoot.js';
import type { AggregateFactory, EventOf, EventsOf, IdOf, SnapshotStateOf } from './aggregateTypes.js';
import { ensureRule } from '../errors/domainRuleViolation.js';

type OrderId = Brand<string, 'OrderId'>;
type OrderEvents = {
  OrderPlaced: { customerId: string };
  ItemAdded: { sku: string; quantity: number };
};

class Order extends AggregateRoot<OrderId, OrderEvents> {
  readonly aggregateType = 'Order';
  items: string[] = [];
  protected readonly handlers: EventHandlers<OrderEvents> = {
    OrderPlaced: (data, event) => {
      expectTypeOf(data).toEqualTypeOf<{ customerId: string }>();
      expectTypeOf(event.type).toEqualTypeOf<'OrderPlaced'>();
    },
    ItemAdded: ({ sku }) => {
      this.items.push(sku);
    },
  };

  add(sku: string): void {
    const event = this.raise('ItemAdded', { sku, quantity: 1 });
    expectTypeOf(event).toEqualTypeOf<AggregateEvent<'ItemAdded', { sku: string; quantity: number }>>();
    // @ts-expect-error an event type that is not in the map
    this.raise('ItemRemoved', { sku });
    // @ts-expect-error data of the wrong shape for the type
    this.raise('ItemAdded', { sku });
  }
}

describe('AggregateRoot types', () => {
  it('requires a handler for every event type and no others', () => {
    // @ts-expect-error ItemAdded has no handler
    const missing: EventHandlers<OrderEvents> = { OrderPlaced: () => {} };
    const extra: EventHandlers<OrderEvents> = {
      OrderPlaced: () => {},
      ItemAdded: () => {},
      // @ts-expect-error Unknown is not an event type of the map
      Unknown: () => {},
    };
    expectTypeOf(missing).toEqualTypeOf(extra);
  });

  it('keeps raise protected', () => {
    const order = new Order('o-1' as OrderId);
    // @ts-expect-error raise is only callable from inside the aggregate
    order.raise('OrderPlaced', { customerId: 'c' });
  });

  it('exposes uncommitted events as a union narrowed by type', () => {
    const [event] = new Order('o-1' as OrderId).uncommittedEvents;
    expectTypeOf(event).toEqualTypeOf<AggregateEventOf<OrderEvents> | undefined>();
    if (event?.type === 'ItemAdded') expectTypeOf(event.data.quantity).toEqualTypeOf<number>();
  });

  it('infers the id, events and event union of an aggregate', () => {
    expectTypeOf<IdOf<Order>>().toEqualTypeOf<OrderId>();
    expectTypeOf<EventsOf<Order>>().toEqualTypeOf<OrderEvents>();
    expectTypeOf<EventOf<Order>>().toEqualTypeOf<
      | AggregateEvent<'OrderPlaced', { customerId: string }>
      | AggregateEvent<'ItemAdded', { sku: string; quantity: number }>
    >();
  });

  it('takes a branded id, not a plain string', () => {
    // @ts-expect-error a plain string is not an OrderId
    new Order('o-1');
    expectTypeOf<AggregateFactory<Order>>().toEqualTypeOf<(id: OrderId) => Order>();
  });

  it('accepts only the aggregate’s own events when loading history', () => {
    const order = new Order('o-1' as OrderId);
    expectTypeOf(order.loadFromHistory).parameter(0).toEqualTypeOf<Iterable<AggregateEventOf<OrderEvents>>>();
    expectTypeOf(order.loadFromHistory([])).toEqualTypeOf<Order>();
  });
});

describe('SnapshotStateOf', () => {
  it('is the declared snapshot state, and never when the aggregate declares none', () => {
    class Snapshotted extends AggregateRoot<string, OrderEvents, { items: string[] }> {
      readonly aggregateType = 'Snapshotted';
      protected readonly handlers: EventHandlers<OrderEvents> = {
        OrderPlaced: () => {},
        ItemAdded: () => {},
      };
    }
    expectTypeOf<SnapshotStateOf<Snapshotted>>().toEqualTypeOf<{ items: string[] }>();
    expectTypeOf<SnapshotStateOf<Order>>().toBeNever();
  });
});

describe('ensure in a static factory (TS2775)', () => {
  type CartEvents = { Opened: { owner: string } };

  class Cart extends AggregateRoot<string, CartEvents> {
    readonly aggregateType = 'Cart';
    protected readonly handlers: EventHandlers<CartEvents> = { Opened: () => {} };

    /** The documented pattern: the variable's declared type lets the assertion compile. */
    static open(id: string, owner: string | undefined): Cart {
      const cart: Cart = new Cart(id);
      cart.ensure(owner !== undefined, 'cart.owner', 'A cart needs an owner.');
      cart.raise('Opened', { owner });
      return cart;
    }

    /** The other documented pattern: the standalone ensureRule needs no annotation. */
    static openChecked(id: string, owner: string | undefined): Cart {
      ensureRule(owner !== undefined, 'cart.owner', 'A cart needs an owner.');
      const cart = new Cart(id);
      cart.raise('Opened', { owner });
      return cart;
    }

    /** What the TSDoc warns about: an inferred variable cannot call an assertion method. */
    static openUnannotated(id: string): Cart {
      const cart = new Cart(id);
      // @ts-expect-error TS2775: assertions require every name in the call target to have a declared type
      cart.ensure(id.length > 0, 'cart.id', 'A cart needs an id.');
      return cart;
    }
  }

  it('narrows the checked value after ensure and ensureRule', () => {
    expectTypeOf(Cart.open).returns.toEqualTypeOf<Cart>();
    expectTypeOf(Cart.openChecked).returns.toEqualTypeOf<Cart>();
    expectTypeOf(Cart.openUnannotated).returns.toEqualTypeOf<Cart>();
  });
});
