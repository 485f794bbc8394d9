import { isConcurrencyError, isValidationError, ManualClock, seededRandom } from '@keel/core';
import type { Policy, PolicyContext } from '@keel/core';
import { DomainRuleViolation } from '@keel/ddd';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { createCommandHandler } from './commandHandler.js';
import { CONFLICT_RETRY_DEFAULTS, conflictDelay, conflictRetry } from './conflictRetry.js';
import { opened, racingStore } from './racingStore.fixture.js';
import { wallet } from './wallet.fixture.js';

/** A policy that runs `fn` up to `attempts` times on any error and records what it saw. */
function retryEverything(attempts: number) {
  const seen = { calls: 0, errors: [] as unknown[], signals: [] as (AbortSignal | undefined)[] };
  const policy: Policy = {
    async execute<TResult>(
      fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
      signal?: AbortSignal,
    ) {
      seen.signals.push(signal);
      for (let attempt = 1; ; attempt++) {
        seen.calls++;
        try {
          return await fn({ signal: signal ?? new AbortController().signal });
        } catch (error) {
          seen.errors.push(error);
          if (attempt >= attempts) throw error;
        }
      }
    },
  };
  return { policy, seen };
}

const deposit = { type: 'Deposit', amount: 10 } as const;

describe('createCommandHandler with a conflictRetry policy', () => {
  it('retries version conflicts under the given policy, reloading each time', async () => {
    const store = racingStore(2);
    const { policy, seen } = retryEverything(5);
    const handle = createCommandHandler(store, wallet, { conflictRetry: policy });
    await store.inner.appendToStream('wallet-1', [opened]);
    const result = await handle('wallet-1', deposit);
    expect(result.state.balance).toBe(12);
    expect(seen.calls).toBe(3);
    expect(seen.errors.every(isConcurrencyError)).toBe(true);
  });

  it('never lets a policy retry an error that is not a conflict', async () => {
    const store = racingStore(0);
    const { policy, seen } = retryEverything(5);
    const handle = createCommandHandler(store, wallet, { conflictRetry: policy });
    await store.inner.appendToStream('wallet-1', [opened]);
    const error = await handle('wallet-1', { type: 'Withdraw', amount: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainRuleViolation);
    expect(seen).toMatchObject({ calls: 1, errors: [] });
    expect(store.attempts).toBe(0);
  });

  it('rethrows a store failure after one attempt', async () => {
    const store = racingStore(0);
    const broken = new Error('disk full');
    store.appendToStream = () => Promise.reject(broken);
    const { policy, seen } = retryEverything(5);
    const handle = createCommandHandler(store, wallet, { conflictRetry: policy });
    await expect(handle('wallet-1', { type: 'Open', owner: 'Ada' })).rejects.toBe(broken);
    expect(seen.calls).toBe(1);
  });

  it('hands the caller signal to the policy and bypasses it for an explicit expectedVersion', async () => {
    const store = racingStore(1);
    const { policy, seen } = retryEverything(5);
    const handle = createCommandHandler(store, wallet, { conflictRetry: policy });
    await store.inner.appendToStream('wallet-1', [opened]);
    const controller = new AbortController();
    await handle('wallet-1', deposit, { signal: controller.signal });
    expect(seen.signals).toEqual([controller.signal]);
    await expect(handle('wallet-1', deposit, { expectedVersion: 1 })).rejects.toSatisfy(isConcurrencyError);
    expect(seen.calls).toBe(2);
  });
});

describe('createCommandHandler default conflict backoff', () => {
  it('waits a backoff from the clock before retrying a conflict', async () => {
    const clock = new ManualClock();
    const store = racingStore(1);
    const handle = createCommandHandler(store, wallet, { maxConflictRetries: 2, clock });
    await store.inner.appendToStream('wallet-1', [opened]);
    const result = handle('wallet-1', deposit);
    await clock.tickAsync(0);
    expect(store.attempts).toBe(1);
    // The first delay lies in [initialDelayMs / 2, initialDelayMs].
    await clock.tickAsync(CONFLICT_RETRY_DEFAULTS.initialDelayMs / 2 - 1);
    expect(store.attempts).toBe(1);
    await clock.tickAsync(CONFLICT_RETRY_DEFAULTS.initialDelayMs);
    expect((await result).state.balance).toBe(11);
    expect(store.attempts).toBe(2);
  });

  it('stops waiting and rejects with the abort reason, with no further attempt', async () => {
    const clock = new ManualClock();
    const store = racingStore(5);
    const handle = createCommandHandler(store, wallet, { maxConflictRetries: 3, clock });
    await store.inner.appendToStream('wallet-1', [opened]);
    const controller = new AbortController();
    const result = handle('wallet-1', deposit, { signal: controller.signal }).catch((e: unknown) => e);
    await clock.tickAsync(0);
    const reason = new Error('client left');
    controller.abort(reason);
    expect(await result).toBe(reason);
    await clock.tickAsync(10_000);
    expect(store.attempts).toBe(1);
  });

  it('doubles the delay per retry up to maxDelayMs, spread over its upper half', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 60 }), (seed, retry) => {
        const settings = { initialDelayMs: 10, maxDelayMs: 1_000, random: seededRandom(seed) };
        const ceiling = Math.min(1_000, 10 * 2 ** retry);
        const delay = conflictDelay(settings, retry);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });
});

describe('conflict retry options', () => {
  const store = new InMemoryEventStore();

  it('treats undefined as the default and accepts an explicit default', () => {
    expect(() => createCommandHandler(store, wallet, { maxConflictRetries: undefined })).not.toThrow();
    expect(() =>
      createCommandHandler(store, wallet, { maxConflictRetries: 0, conflictRetry: conflictRetry() }),
    ).not.toThrow();
    expect(() =>
      conflictRetry({ maxRetries: undefined, initialDelayMs: undefined, clock: undefined }),
    ).not.toThrow();
  });

  it('refuses extreme, conflicting and malformed options, listing every problem', () => {
    const error = (() => {
      try {
        createCommandHandler(store, wallet, {
          maxConflictRetries: 1e9,
          conflictRetry: {} as Policy,
          clock: 'now' as never,
        });
      } catch (caught) {
        return caught;
      }
    })();
    expect(isValidationError(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(/maxConflictRetries[\s\S]*conflictRetry[\s\S]*clock/);
    expect(() =>
      createCommandHandler(store, wallet, { maxConflictRetries: 2, conflictRetry: conflictRetry() }),
    ).toThrow(/cannot be combined with conflictRetry/);
    expect(() => createCommandHandler(store, wallet, { maxConflictRetries: Infinity })).toThrow(
      /maxConflictRetries/,
    );
  });

  it('waits on a clock that has only sleep, and refuses one without it', async () => {
    const manual = new ManualClock();
    const clock = { sleep: (ms: number, signal?: AbortSignal) => manual.sleep(ms, signal) } as never;
    const racing = racingStore(1);
    const handle = createCommandHandler(racing, wallet, { maxConflictRetries: 1, clock });
    await racing.inner.appendToStream('wallet-1', [opened]);
    const result = handle('wallet-1', deposit);
    await manual.runAllAsync();
    expect((await result).state.balance).toBe(11);
    expect(racing.attempts).toBe(2);
    expect(() => conflictRetry({ clock: { now: () => 0 } as never })).toThrow(
      /clock: must be a Clock \(with sleep\)/,
    );
  });

  it('refuses delays a timer cannot wait and a cap below the first delay', () => {
    expect(() => conflictRetry({ initialDelayMs: -1 })).toThrow(/initialDelayMs/);
    expect(() => conflictRetry({ maxDelayMs: 2 ** 31 })).toThrow(/maxDelayMs/);
    expect(() => conflictRetry({ initialDelayMs: 50, maxDelayMs: 20 })).toThrow(/must be >= initialDelayMs/);
    expect(() => conflictRetry({ maxRetries: 1.5, random: 3 as never })).toThrow(/maxRetries[\s\S]*random/);
  });
});
