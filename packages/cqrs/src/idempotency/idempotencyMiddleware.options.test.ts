import { createCommand, createEvent, isSerializationError, isValidationError, ManualClock } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describe, expect, it, vi } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { isIdempotencyInProgressError } from '../errors/errors.js';
import { createEventBus } from '../eventBus/eventBus.js';
import { IDEMPOTENCY_DEFAULTS, idempotencyMiddleware } from './idempotencyMiddleware.js';
import type { IdempotencyMiddlewareOptions } from './idempotencyMiddleware.js';
import type { IdempotencyStore } from './idempotencyStore.js';
import { InMemoryIdempotencyStore } from './inMemoryIdempotencyStore.js';

const pay = createCommand('Pay', { amount: 5 }, { metadata: { messageId: 'm-1' } });

/** A store that records the leases asked for, by clock time. */
function recordingStore(clock: ManualClock) {
  const inner = new InMemoryIdempotencyStore({ clock });
  const calls: string[] = [];
  const store: IdempotencyStore = {
    claim: (key, leaseMs, signal) => (
      calls.push(`claim ${leaseMs} @${clock.now()}`),
      inner.claim(key, leaseMs, signal)
    ),
    renew: (key, token, leaseMs) => (
      calls.push(`renew ${leaseMs} @${clock.now()}`),
      inner.renew(key, token, leaseMs)
    ),
    complete: (key, token, result) => inner.complete(key, token, result),
    release: (key, token) => inner.release(key, token),
  };
  return { store, calls, inner };
}

function issuesOf(options: IdempotencyMiddlewareOptions): string[] {
  try {
    idempotencyMiddleware(options);
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return (error as ValidationError).issues.map((issue) => issue.path.join('.'));
  }
  return [];
}

describe('idempotencyMiddleware options', () => {
  it('uses the default lease and renews every third of it when leaseMs and renewEveryMs are undefined', async () => {
    const clock = new ManualClock();
    const { store, calls } = recordingStore(clock);
    const bus = createCommandBus({
      middleware: [idempotencyMiddleware({ store, clock, leaseMs: undefined, renewEveryMs: undefined })],
    });
    bus.register('Pay', async () => clock.sleep(25_000).then(() => 'done'));
    const running = bus.execute(pay);
    await clock.tickAsync(25_000);
    await expect(running).resolves.toBe('done');
    expect(calls).toEqual(['claim 30000 @0', 'renew 30000 @10000', 'renew 30000 @20000']);
  });

  it('waits the default maxWaitMs, polling every default pollMs, when they are undefined', async () => {
    const clock = new ManualClock();
    const { store, calls, inner } = recordingStore(clock);
    await inner.claim('command:m-1', 120_000);
    const bus = createCommandBus({
      middleware: [idempotencyMiddleware({ store, clock, pollMs: undefined, maxWaitMs: undefined })],
    });
    bus.register('Pay', () => 'never');
    const waiting = bus.execute(pay).catch((e: unknown) => e);
    await clock.tickAsync(IDEMPOTENCY_DEFAULTS.maxWaitMs - 1);
    expect(calls).toHaveLength(Math.ceil((IDEMPOTENCY_DEFAULTS.maxWaitMs - 1) / IDEMPOTENCY_DEFAULTS.pollMs));
    await clock.tickAsync(1);
    expect(isIdempotencyInProgressError(await waiting)).toBe(true);
  });

  it('uses the default key, store and clock when they are undefined', async () => {
    const bus = createCommandBus({
      middleware: [idempotencyMiddleware({ store: undefined, key: undefined, clock: undefined })],
    });
    const handler = vi.fn(() => 'paid');
    bus.register('Pay', handler);
    expect([await bus.execute(pay), await bus.execute(pay)]).toEqual(['paid', 'paid']);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('accepts its documented limits: maxWaitMs 0 or Infinity, renewEveryMs Infinity', () => {
    expect(issuesOf({ maxWaitMs: 0, renewEveryMs: Infinity })).toEqual([]);
    expect(issuesOf({ maxWaitMs: Infinity })).toEqual([]);
  });

  it('refuses every bad option at construction with one ValidationError', () => {
    expect(
      issuesOf({
        store: {} as IdempotencyStore,
        key: 'id' as never,
        leaseMs: 0,
        renewEveryMs: Number.NaN,
        pollMs: -1,
        maxWaitMs: Number.NaN,
        clock: {} as ManualClock,
      }),
    ).toEqual(['store', 'key', 'leaseMs', 'renewEveryMs', 'pollMs', 'maxWaitMs', 'clock']);
    expect(issuesOf({ leaseMs: Infinity })).toEqual(['leaseMs']);
    expect(issuesOf({ leaseMs: 300, renewEveryMs: 300 })).toEqual(['renewEveryMs']);
  });

  it('refuses a store written for the old interface (no renew)', () => {
    const store = new InMemoryIdempotencyStore();
    const legacy = {
      claim: store.claim.bind(store),
      complete: store.complete.bind(store),
      release: store.release.bind(store),
    };
    expect(issuesOf({ store: legacy as unknown as IdempotencyStore })).toEqual(['store']);
  });
});

describe('idempotencyMiddleware results', () => {
  it('refuses a result the store cannot hold with a SerializationError and does not remember the run', async () => {
    const bus = createCommandBus({ middleware: [idempotencyMiddleware()] });
    let runs = 0;
    bus.register('Pay', () => (++runs === 1 ? { amount: 1n } : 'ok'));
    const error = await bus.execute(pay).catch((e: unknown) => e);
    expect(isSerializationError(error)).toBe(true);
    await expect(bus.execute(pay)).resolves.toBe('ok');
    expect(runs).toBe(2);
  });

  it('gives later duplicates a copy, so a caller that changes its result changes nothing for them', async () => {
    const bus = createCommandBus({ middleware: [idempotencyMiddleware()] });
    bus.register('Pay', () => ({ lines: ['a'] }));
    const first = (await bus.execute(pay)) as { lines: string[] };
    first.lines.push('mutated');
    const second = (await bus.execute(pay)) as { lines: string[] };
    second.lines.push('again');
    expect(await bus.execute(pay)).toEqual({ lines: ['a'] });
  });

  it('keys each handler of an event on its own when used as handler middleware', async () => {
    const bus = createEventBus({ handlerMiddleware: [idempotencyMiddleware()] });
    const first = vi.fn();
    const second = vi.fn();
    bus.subscribe('Paid', first, { name: 'ledger' });
    bus.subscribe('Paid', second, { name: 'mailer' });
    const event = createEvent('Paid', {});
    await bus.publish([event]);
    await bus.publish([event]);
    expect([first.mock.calls.length, second.mock.calls.length]).toEqual([1, 1]);
  });
});
