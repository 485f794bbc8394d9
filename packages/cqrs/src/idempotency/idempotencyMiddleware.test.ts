import { createCommand, createEvent, ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { createEventBus } from '../eventBus/eventBus.js';
import { isIdempotencyInProgressError } from '../errors/errors.js';
import { idempotencyMiddleware } from './idempotencyMiddleware.js';
import { InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';

interface Commands {
  Pay: { data: { amount: number }; result: string };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function payBus(store = new InMemoryIdempotencyStore(), clock = new ManualClock()) {
  const bus = createCommandBus<Commands>({
    middleware: [idempotencyMiddleware({ store, clock, pollMs: 10, maxWaitMs: 1_000, leaseMs: 500 })],
  });
  let runs = 0;
  return { bus, runs: () => runs, count: () => runs++ };
}

describe('idempotencyMiddleware', () => {
  it('returns the first result for a repeated command and runs the handler once', async () => {
    const { bus, runs, count } = payBus();
    bus.register('Pay', (command) => `paid ${command.data.amount} #${count()}`);
    const command = createCommand('Pay', { amount: 5 });
    const first = await bus.execute(command);
    const second = await bus.execute(command);
    expect([first, second, runs()]).toEqual(['paid 5 #0', 'paid 5 #0', 1]);
  });

  it('runs a command once when two copies arrive at the same time', async () => {
    const { bus, runs, count } = payBus();
    const gate = deferred();
    bus.register('Pay', async () => {
      const n = count();
      await gate.promise;
      return `run ${n}`;
    });
    const command = createCommand('Pay', { amount: 5 });
    const both = Promise.all([bus.execute(command), bus.execute(command)]);
    gate.resolve();
    expect(await both).toEqual(['run 0', 'run 0']);
    expect(runs()).toBe(1);
  });

  it('does not remember a failed attempt, so a retry runs and its result is then kept', async () => {
    const { bus, runs, count } = payBus();
    bus.register('Pay', () => {
      if (count() === 0) throw new Error('card declined');
      return 'paid';
    });
    const command = createCommand('Pay', { amount: 5 });
    await expect(bus.execute(command)).rejects.toThrow('card declined');
    await expect(bus.execute(command)).resolves.toBe('paid');
    await expect(bus.execute(command)).resolves.toBe('paid');
    expect(runs()).toBe(2);
  });

  it('gives concurrent copies of a failing attempt the same error without running twice', async () => {
    const { bus, runs, count } = payBus();
    const gate = deferred();
    bus.register('Pay', async () => {
      count();
      await gate.promise;
      throw new Error('down');
    });
    const command = createCommand('Pay', { amount: 5 });
    const both = Promise.allSettled([bus.execute(command), bus.execute(command)]);
    gate.resolve();
    expect((await both).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(runs()).toBe(1);
  });

  it('makes a second worker sharing the store wait for the first and return its result', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const a = payBus(store, clock);
    const b = payBus(store, clock);
    a.bus.register('Pay', async () => {
      a.count();
      await clock.sleep(35);
      return 'from a';
    });
    b.bus.register('Pay', () => {
      b.count();
      return 'from b';
    });
    const command = createCommand('Pay', { amount: 5 });
    const first = a.bus.execute(command);
    const second = b.bus.execute(command);
    await clock.tickAsync(40);
    expect([await first, await second]).toEqual(['from a', 'from a']);
    expect([a.runs(), b.runs()]).toEqual([1, 0]);
  });

  it('gives up with IdempotencyInProgressError when the other worker takes longer than maxWaitMs', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    await store.claim('command:m-1', 60_000);
    const bus = createCommandBus<Commands>({
      middleware: [idempotencyMiddleware({ store, clock, pollMs: 10, maxWaitMs: 50 })],
    });
    const handler = vi.fn(() => 'x');
    bus.register('Pay', handler);
    const running = bus
      .execute(createCommand('Pay', { amount: 1 }, { metadata: { messageId: 'm-1' } }))
      .catch((e: unknown) => e);
    await clock.tickAsync(60);
    const error = await running;
    expect(isIdempotencyInProgressError(error)).toBe(true);
    expect((error as Error).message).toContain('after waiting 50 ms');
    expect(handler).not.toHaveBeenCalled();
  });

  it('lets another worker take over once the holder lease expired', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    await store.claim('command:m-1', 100);
    const bus = createCommandBus<Commands>({
      middleware: [idempotencyMiddleware({ store, clock, pollMs: 30 })],
    });
    bus.register('Pay', () => 'taken over');
    const running = bus.execute(createCommand('Pay', { amount: 1 }, { metadata: { messageId: 'm-1' } }));
    await clock.tickAsync(120);
    await expect(running).resolves.toBe('taken over');
  });

  it('skips a duplicate event on the event bus', async () => {
    const bus = createEventBus({ middleware: [idempotencyMiddleware()] });
    const handler = vi.fn();
    bus.subscribe('Paid', handler);
    const event = createEvent('Paid', {});
    await bus.publish([event, event]);
    await bus.publish([event]);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('runs each distinct message once however duplicates interleave', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(4), { minLength: 1, maxLength: 30 }), async (ids) => {
        const { bus, runs, count } = payBus();
        bus.register('Pay', async (command) => {
          count();
          await Promise.resolve();
          return command.metadata.messageId;
        });
        const commands = [0, 1, 2, 3, 4].map((n) =>
          createCommand('Pay', { amount: n }, { metadata: { messageId: `m-${n}` } }),
        );
        const results = await Promise.all(ids.map((id) => bus.execute(commands[id]!)));
        expect(results).toEqual(ids.map((id) => `m-${id}`));
        expect(runs()).toBe(new Set(ids).size);
      }),
      { seed: 7, numRuns: 50 },
    );
  });
});
