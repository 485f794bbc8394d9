import { createEvent } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { EventDeliveryError } from '../errors/errors.js';
import { ALL_EVENTS, createEventBus } from './eventBus.js';

interface Events {
  Deposited: { amount: number };
}

const deposited = (amount: number) => createEvent('Deposited', { amount });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('EventBus fan-out', () => {
  it('lists failures in subscription order, typed handlers before wildcard ones, whatever order they fail in', async () => {
    const bus = createEventBus<Events>();
    const slow = deferred();
    bus.subscribe(
      'Deposited',
      async () => {
        await slow.promise;
        throw new Error('first, failing last');
      },
      { name: 'first' },
    );
    bus.subscribe('Deposited', () => undefined, { name: 'second' });
    bus.subscribe(
      ALL_EVENTS,
      () => {
        throw new Error('wildcard, failing first');
      },
      { name: 'wildcard' },
    );
    bus.subscribe(
      'Deposited',
      async () => {
        throw new Error('third, failing second');
      },
      { name: 'third' },
    );
    const publishing = bus.publish([deposited(1)]).then(
      () => undefined,
      (error: unknown) => error as EventDeliveryError,
    );
    await new Promise((resolve) => setImmediate(resolve));
    slow.resolve();
    const error = await publishing;
    expect(error?.failures.map((failure) => failure.handler)).toEqual(['first', 'third', 'wildcard']);
  });

  it('gives the concurrency slot of a failed handler back', async () => {
    const bus = createEventBus<Events>({ concurrency: 1 });
    const seen: number[] = [];
    bus.subscribe('Deposited', (event) => {
      seen.push(event.data.amount);
      if (event.data.amount === 1) throw new Error('no');
    });
    await expect(bus.publish([deposited(1)])).rejects.toThrow('1 event handler failed');
    await bus.publish([deposited(2)]);
    await bus.publish([deposited(3)]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('resolves a publish of an event nobody subscribed to', async () => {
    const bus = createEventBus<Events>();
    await expect(bus.publish([deposited(1)])).resolves.toBeUndefined();
  });

  it('treats an event published by a handler as caused by the event it handles as nested only while that delivery runs', async () => {
    const bus = createEventBus<Events>({ concurrency: 1 });
    const order: string[] = [];
    let cause: ReturnType<typeof deposited> | undefined;
    bus.subscribe('Deposited', async (event, context) => {
      order.push(`start ${event.data.amount}`);
      if (event.data.amount === 1) {
        cause = context.message as ReturnType<typeof deposited>;
        // Nested: takes no slot, so it runs although this handler holds the only one.
        await bus.publish([createEvent('Deposited', { amount: 2 }, { causedBy: context.message })]);
      }
      order.push(`end ${event.data.amount}`);
    });
    await bus.publish([deposited(1)]);
    expect(order).toEqual(['start 1', 'start 2', 'end 2', 'end 1']);
    // Once its cause's delivery ended, a follow-up is an ordinary publish again: it waits for a slot.
    const blocker = deferred();
    bus.subscribe('Deposited', () => blocker.promise, { name: 'blocker' });
    const first = bus.publish([deposited(3)]);
    let laterDone = false;
    const later = bus
      .publish([createEvent('Deposited', { amount: 4 }, { causedBy: cause! })])
      .then(() => (laterDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(laterDone).toBe(false);
    blocker.resolve();
    await Promise.all([first, later]);
    expect(laterDone).toBe(true);
  });
});
