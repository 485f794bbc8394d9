import { createCommand, isTimeoutError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { isIdempotencyClaimLostError, isIdempotencyInProgressError } from '../errors/errors.js';
import { timeoutMiddleware } from '../middleware/timeoutMiddleware.js';
import { idempotencyMiddleware } from './idempotencyMiddleware.js';
import type { IdempotencyMiddlewareOptions } from './idempotencyMiddleware.js';
import { InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';

const pay = createCommand('Pay', { amount: 5 }, { metadata: { messageId: 'm-1' } });

function busOn(
  store: InMemoryIdempotencyStore,
  clock: ManualClock,
  options: IdempotencyMiddlewareOptions = {},
) {
  return createCommandBus({
    middleware: [
      idempotencyMiddleware({ store, clock, leaseMs: 300, pollMs: 50, maxWaitMs: Infinity, ...options }),
    ],
  });
}

/** A handler that waits `ms` on the clock, ignoring its signal, and counts its runs. */
function slowHandler(clock: ManualClock, ms: number, result: string) {
  const state = { runs: 0, active: 0, maxActive: 0, signals: [] as AbortSignal[] };
  const handler = async (_command: unknown, { signal }: { signal: AbortSignal }) => {
    state.runs++;
    state.signals.push(signal);
    state.maxActive = Math.max(state.maxActive, ++state.active);
    try {
      await clock.sleep(ms);
      return result;
    } finally {
      state.active--;
    }
  };
  return { state, handler };
}

describe('idempotencyMiddleware leases', () => {
  it('renews the claim of a handler that runs longer than the lease, so no other worker runs it', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const a = busOn(store, clock);
    const b = busOn(store, clock);
    const slow = slowHandler(clock, 1_000, 'from a');
    a.register('Pay', slow.handler);
    b.register('Pay', () => 'from b');
    const first = a.execute(pay);
    await clock.tickAsync(0);
    const second = b.execute(pay);
    await clock.tickAsync(1_100);
    expect([await first, await second]).toEqual(['from a', 'from a']);
    expect(slow.state.runs).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts the handler with IdempotencyClaimLostError when the store says the claim is gone', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    store.renew = async () => false;
    const bus = busOn(store, clock);
    let seen: AbortSignal | undefined;
    bus.register('Pay', (_command, { signal }) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    const running = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(99);
    expect(seen?.aborted).toBe(false);
    await clock.tickAsync(1);
    expect(isIdempotencyClaimLostError(seen?.reason)).toBe(true);
    expect(isIdempotencyClaimLostError(await running)).toBe(true);
  });

  it('rides out a failed renewal while the lease lasts, and aborts before it runs out', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const outage = new Error('store unreachable');
    let renewals = 0;
    store.renew = async () => {
      renewals++;
      throw outage;
    };
    const bus = busOn(store, clock);
    let seen: AbortSignal | undefined;
    bus.register('Pay', (_command, { signal }) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    const running = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(150);
    expect([renewals, seen?.aborted]).toEqual([1, false]);
    await clock.tickAsync(50);
    expect(renewals).toBe(2);
    const error = await running;
    expect(isIdempotencyClaimLostError(error)).toBe(true);
    expect((error as Error).cause).toBe(outage);
  });

  it('keeps the claim after one failed renewal when the next one succeeds', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const renew = store.renew.bind(store);
    let renewals = 0;
    store.renew = async (...args) => {
      if (++renewals === 1) throw new Error('blip');
      return renew(...args);
    };
    const bus = busOn(store, clock);
    const slow = slowHandler(clock, 1_000, 'done');
    bus.register('Pay', slow.handler);
    const running = bus.execute(pay);
    await clock.tickAsync(1_000);
    await expect(running).resolves.toBe('done');
    expect(slow.state.signals[0]!.aborted).toBe(false);
  });

  it('never renews with renewEveryMs Infinity', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    let renewals = 0;
    store.renew = async () => ++renewals > 0;
    const bus = busOn(store, clock, { renewEveryMs: Infinity });
    bus.register('Pay', slowHandler(clock, 1_000, 'done').handler);
    const running = bus.execute(pay);
    await clock.tickAsync(1_000);
    await expect(running).resolves.toBe('done');
    expect(renewals).toBe(0);
  });
});

describe('idempotencyMiddleware with a timeout inside it', () => {
  it('does not run a handler again while the one that timed out still runs, and keeps its late result', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const slow = slowHandler(clock, 500, 'late receipt');
    const bus = busOn(store, clock);
    bus.use(timeoutMiddleware(100, { clock }));
    bus.register('Pay', slow.handler);
    const other = busOn(store, clock);
    other.register('Pay', slow.handler);

    const first = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(100);
    expect(isTimeoutError(await first)).toBe(true);
    const retry = bus.execute(pay);
    const elsewhere = other.execute(pay);
    await clock.tickAsync(500);
    expect([await retry, await elsewhere]).toEqual(['late receipt', 'late receipt']);
    expect(slow.state.runs).toBe(1);
  });

  it('runs a retry only after a handler that honoured the timeout has stopped', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const state = { runs: 0, active: 0, maxActive: 0 };
    const bus = busOn(store, clock);
    bus.use(timeoutMiddleware(100, { clock }));
    bus.register('Pay', async (_command, { signal }) => {
      state.runs++;
      state.maxActive = Math.max(state.maxActive, ++state.active);
      try {
        await clock.sleep(state.runs === 1 ? 500 : 10, state.runs === 1 ? undefined : signal);
        if (state.runs === 1) throw new Error('gave up after cleaning up');
        return 'second try';
      } finally {
        state.active--;
      }
    });
    const first = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(100);
    expect(isTimeoutError(await first)).toBe(true);
    const retry = bus.execute(pay);
    await clock.tickAsync(300);
    expect(state.runs).toBe(1);
    await clock.tickAsync(300);
    await expect(retry).resolves.toBe('second try');
    expect([state.runs, state.maxActive]).toEqual([2, 1]);
  });

  it('holds the claim for a timed-out handler also when the timeout is outside the middleware', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const slow = slowHandler(clock, 500, 'late');
    const bus = createCommandBus({
      middleware: [
        timeoutMiddleware(100, { clock }),
        idempotencyMiddleware({ store, clock, leaseMs: 300, pollMs: 50 }),
      ],
    });
    bus.register('Pay', slow.handler);
    const first = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(100);
    expect(isTimeoutError(await first)).toBe(true);
    const retry = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(100);
    expect(isTimeoutError(await retry)).toBe(true);
    await clock.tickAsync(400);
    await expect(bus.execute(pay)).resolves.toBe('late');
    expect(slow.state.runs).toBe(1);
  });

  it('gives a retry IdempotencyInProgressError after maxWaitMs while the timed-out handler still runs', async () => {
    const clock = new ManualClock();
    const store = new InMemoryIdempotencyStore({ clock });
    const slow = slowHandler(clock, 10_000, 'very late');
    const bus = busOn(store, clock, { maxWaitMs: 1_000 });
    bus.use(timeoutMiddleware(100, { clock }));
    bus.register('Pay', slow.handler);
    const first = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(100);
    expect(isTimeoutError(await first)).toBe(true);
    const retry = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(999);
    await clock.tickAsync(1);
    expect(isIdempotencyInProgressError(await retry)).toBe(true);
    await clock.tickAsync(9_000);
    await expect(bus.execute(pay)).resolves.toBe('very late');
    expect(slow.state.runs).toBe(1);
  });
});
