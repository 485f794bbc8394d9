import type { Command, DomainEvent } from '@keel/core';
import { describe, expectTypeOf, it } from 'vitest';
import { defineProcess } from './defineProcess.js';
import { InMemoryProcessStore } from './inMemoryProcessStore.js';
import { ProcessManager } from './processManager.js';

type Placed = DomainEvent<'OrderPlaced', { orderId: string; amount: number }>;
type Paid = DomainEvent<'PaymentCaptured', { orderId: string; paymentId: string }>;
type Charge = Command<'Charge', { orderId: string }>;

describe('defineProcess types', () => {
  it('narrows each handler event by its type and checks state and commands', () => {
    const process = defineProcess<{ paid: boolean }, Placed | Paid, Charge>({
      name: 'p',
      correlate: (event) => event.data.orderId,
      initialState: () => ({ paid: false }),
      on: {
        OrderPlaced: (state, event) => {
          expectTypeOf(event.data.amount).toEqualTypeOf<number>();
          return { state };
        },
        PaymentCaptured: (_state, event) => {
          expectTypeOf(event.data.paymentId).toEqualTypeOf<string>();
          return { state: { paid: true }, commands: [] };
        },
      },
    });
    const manager = new ProcessManager(process, {
      store: new InMemoryProcessStore(),
      send: (command) => {
        expectTypeOf(command).toEqualTypeOf<Charge>();
      },
    });
    expectTypeOf(manager.handle).parameter(0).toEqualTypeOf<Placed | Paid>();
  });

  it('rejects a reaction whose state has the wrong shape', () => {
    defineProcess<{ paid: boolean }, Placed, Charge>({
      name: 'p',
      correlate: (event) => event.data.orderId,
      initialState: () => ({ paid: false }),
      on: {
        // @ts-expect-error the state must keep its shape
        OrderPlaced: () => ({ state: { paid: 'yes' } }),
      },
    });
  });

  it('rejects a handler for an event type the process does not know', () => {
    defineProcess<{ paid: boolean }, Placed, Charge>({
      name: 'p',
      correlate: (event) => event.data.orderId,
      initialState: () => ({ paid: false }),
      // @ts-expect-error no such event type
      on: { Refunded: (state: { paid: boolean }) => ({ state }) },
    });
  });
});
