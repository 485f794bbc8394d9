import { getEventListeners } from 'node:events';
import { isCancelledError, isValidationError, ManualClock, seededRandom } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { constantBackoff, decorrelatedJitterBackoff, exponentialBackoff } from '../backoff/backoff.js';
import { retry } from './retry.js';
import { retryBudget } from './retryBudget.js';

function failing(times: number, value = 'ok'): () => Promise<string> {
  let calls = 0;
  return async () => {
    calls++;
    if (calls <= times) throw new Error(`failure ${calls}`);
    return value;
  };
}

describe('retry', () => {
  it('returns the first success without waiting', async () => {
    const clock = new ManualClock();
    await expect(retry({ clock }).execute(() => 42)).resolves.toBe(42);
    expect(clock.pendingTimers).toBe(0);
  });

  it('retries after each backoff delay until the call succeeds', async () => {
    const clock = new ManualClock();
    const fn = vi.fn(failing(2));
    const done = retry({ clock, backoff: exponentialBackoff(100) }).execute(fn);
    await clock.tickAsync(99);
    expect(fn).toHaveBeenCalledTimes(1);
    await clock.tickAsync(1);
    expect(fn).toHaveBeenCalledTimes(2);
    await clock.tickAsync(200);
    await expect(done).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('gives up after maxRetries and rethrows the last error', async () => {
    const clock = new ManualClock();
    const done = retry({ clock, maxRetries: 2, backoff: constantBackoff(10) }).execute(failing(5));
    const check = expect(done).rejects.toThrow('failure 3');
    await clock.tickAsync(100);
    await check;
  });

  it('hands the attempt number and a signal to every attempt', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const done = retry({ clock, backoff: constantBackoff(1) }).execute(({ attempt, signal }) => {
      seen.push(attempt);
      expect(signal).toBeInstanceOf(AbortSignal);
      if (attempt < 3) throw new Error('again');
      return attempt;
    });
    await clock.tickAsync(10);
    await expect(done).resolves.toBe(3);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('passes the caller signal to the function', async () => {
    const controller = new AbortController();
    await retry().execute(({ signal }) => expect(signal).toBe(controller.signal), controller.signal);
  });

  it('does not retry errors rejected by the error predicate', async () => {
    const clock = new ManualClock();
    const fn = vi.fn(async () => {
      throw new TypeError('bug');
    });
    await expect(
      retry({ clock, handle: (error) => !(error instanceof TypeError) }).execute(fn),
    ).rejects.toThrow('bug');
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('retries results matched by the result predicate and returns the last one when out of retries', async () => {
    const clock = new ManualClock();
    const fn = vi.fn(async () => ({ status: 503 }));
    const policy = retry({
      clock,
      maxRetries: 2,
      backoff: constantBackoff(5),
      handleResult: (r) => (r as { status: number }).status >= 500,
    });
    const done = policy.execute(fn);
    await clock.tickAsync(10);
    await expect(done).resolves.toEqual({ status: 503 });
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('waits the delay read from the error instead of the backoff (Retry-After)', async () => {
    const clock = new ManualClock();
    const error = Object.assign(new Error('busy'), { retryAfterMs: 2_000 });
    const fn = vi.fn(failing(0));
    fn.mockRejectedValueOnce(error);
    const policy = retry({
      clock,
      backoff: constantBackoff(10),
      retryAfter: (outcome) =>
        'error' in outcome ? (outcome.error as { retryAfterMs?: number }).retryAfterMs : undefined,
    });
    const done = policy.execute(fn);
    await clock.tickAsync(1_999);
    expect(fn).toHaveBeenCalledTimes(1);
    await clock.tickAsync(1);
    await expect(done).resolves.toBe('ok');
  });

  it('caps a delay from the outcome at maxDelay', async () => {
    const clock = new ManualClock();
    const delays: number[] = [];
    const policy = retry({ clock, maxRetries: 1, maxDelay: 500, retryAfter: () => 60_000 });
    policy.onRetry(({ delay }) => delays.push(delay));
    const done = policy.execute(failing(1));
    await clock.tickAsync(500);
    await expect(done).resolves.toBe('ok');
    expect(delays).toEqual([500]);
  });

  it('stops the sleep at once when the caller aborts, leaving no timer or listener', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const done = retry({ clock, backoff: constantBackoff(60_000) }).execute(failing(5), controller.signal);
    await clock.tickAsync(0);
    expect(clock.pendingTimers).toBe(1);
    controller.abort(new Error('user left'));
    await expect(done).rejects.toThrow('user left');
    expect(clock.pendingTimers).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once without calling the function when the signal is already aborted', async () => {
    const fn = vi.fn();
    const controller = new AbortController();
    controller.abort();
    const error = await retry()
      .execute(fn, controller.signal)
      .catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(DOMException);
  });

  it('does not retry an error thrown after the caller aborted, and throws the abort reason instead', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    const fn = vi.fn(async () => {
      controller.abort(reason);
      throw new Error('aborted work');
    });
    await expect(retry().execute(fn, controller.signal)).rejects.toBe(reason);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('throws the abort reason even for an error the predicate would not retry', async () => {
    const controller = new AbortController();
    const policy = retry({ handle: () => false });
    const done = policy.execute(() => {
      controller.abort('caller gave up');
      throw new TypeError('bug');
    }, controller.signal);
    await expect(done).rejects.toBe('caller gave up');
  });

  it('throws the abort reason instead of returning a rejected result after the caller aborted', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const budget = retryBudget({ clock, minRetries: 5, ratio: 0 });
    const policy = retry({ clock, budget, handleResult: (r) => r === 'busy' });
    const done = policy.execute(() => {
      controller.abort(new Error('stop'));
      return 'busy';
    }, controller.signal);
    await expect(done).rejects.toThrow('stop');
    // No retry was paid for: an aborted call is never retried.
    expect(budget.available).toBe(5);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a call that succeeds although the caller aborted still returns its result', async () => {
    const controller = new AbortController();
    const done = retry().execute(() => {
      controller.abort();
      return 'done anyway';
    }, controller.signal);
    await expect(done).resolves.toBe('done anyway');
  });

  it('emits onRetry with the next attempt and delay, and onGiveUp at the end', async () => {
    const clock = new ManualClock();
    const policy = retry({ clock, maxRetries: 1, backoff: constantBackoff(7) });
    const retries: unknown[] = [];
    const giveUps: unknown[] = [];
    policy.onRetry(({ attempt, delay }) => retries.push({ attempt, delay }));
    policy.onGiveUp(({ attempts, reason }) => giveUps.push({ attempts, reason }));
    const done = policy.execute(failing(9)).catch(() => undefined);
    await clock.tickAsync(7);
    await done;
    expect(retries).toEqual([{ attempt: 2, delay: 7 }]);
    expect(giveUps).toEqual([{ attempts: 2, reason: 'max-retries' }]);
  });

  it('a throwing listener does not fail the call', async () => {
    const clock = new ManualClock();
    const policy = retry({ clock, backoff: constantBackoff(1) });
    policy.onRetry(() => {
      throw new Error('listener bug');
    });
    const done = policy.execute(failing(1));
    await clock.tickAsync(1);
    await expect(done).resolves.toBe('ok');
  });

  it('a disposed listener is not called again', async () => {
    const clock = new ManualClock();
    const policy = retry({ clock, backoff: constantBackoff(1) });
    const listener = vi.fn();
    policy.onRetry(listener)();
    const done = policy.execute(failing(1));
    await clock.tickAsync(1);
    await done;
    expect(listener).not.toHaveBeenCalled();
  });

  it('stops retrying when the shared retry budget is spent', async () => {
    const clock = new ManualClock();
    const budget = retryBudget({ clock, ratio: 0, minRetries: 1 });
    const policy = retry({ clock, budget, maxRetries: 5, backoff: constantBackoff(1) });
    const reasons: string[] = [];
    policy.onGiveUp(({ reason }) => reasons.push(reason));
    const fn = vi.fn(failing(100));
    const done = policy.execute(fn).catch((e: unknown) => e);
    await clock.tickAsync(10);
    await done;
    expect(fn).toHaveBeenCalledTimes(2);
    expect(reasons).toEqual(['budget-exhausted']);
  });

  it('never produces a NaN sleep after very many retries', async () => {
    const clock = new ManualClock();
    const policy = retry({ clock, maxRetries: 2_000, backoff: exponentialBackoff(1, { maxDelay: 10 }) });
    const delays: number[] = [];
    policy.onRetry(({ delay }) => delays.push(delay));
    const done = policy.execute(failing(1_500));
    await clock.tickAsync(20_000);
    await expect(done).resolves.toBe('ok');
    expect(delays.every((delay) => delay >= 0 && delay <= 10)).toBe(true);
  });

  it('rejects bad options at construction, listing each one', () => {
    let error: unknown;
    try {
      retry({ maxRetries: -1, maxDelay: -5 });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /maxRetries: must be an integer >= 0.*maxDelay: must be a finite number >= 0/,
    );
  });

  it('a missing signal becomes a fresh, unaborted signal per call', async () => {
    const signals: AbortSignal[] = [];
    const policy = retry();
    await policy.execute(({ signal }) => signals.push(signal));
    await policy.execute(({ signal }) => signals.push(signal));
    expect(signals[0]).not.toBe(signals[1]);
    expect(signals.every((signal) => !signal.aborted)).toBe(true);
  });

  it('the abort reason defaults to a CancelledError when the signal carries none', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const signal = { ...controller.signal, aborted: true, reason: undefined } as unknown as AbortSignal;
    const error = await retry({ clock })
      .execute(() => 1, signal)
      .catch((e: unknown) => e);
    expect(isCancelledError(error)).toBe(true);
  });
});

describe('retry properties', () => {
  it('property: runs at most maxRetries + 1 attempts and waits exactly the delays it reports', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer(),
        async (maxRetries, failures, seed) => {
          const clock = new ManualClock();
          const backoff = decorrelatedJitterBackoff(50, { maxDelay: 1_000, random: seededRandom(seed) });
          const policy = retry({ clock, maxRetries, backoff });
          const delays: number[] = [];
          policy.onRetry(({ delay }) => delays.push(delay));
          let attempts = 0;
          const done = policy
            .execute(() => {
              attempts++;
              if (attempts <= failures) throw new Error('down');
              return 'ok';
            })
            .then(
              () => 'ok',
              () => 'failed',
            );
          await clock.runAllAsync();
          const outcome = await done;
          const expectedAttempts = Math.min(failures, maxRetries) + 1;
          const waited = delays.reduce((sum, delay) => sum + delay, 0);
          return (
            attempts === expectedAttempts &&
            outcome === (failures <= maxRetries ? 'ok' : 'failed') &&
            clock.now() === waited &&
            clock.pendingTimers === 0
          );
        },
      ),
    );
  });
});

describe('retryBudget', () => {
  it('allows minRetries plus ratio × calls over the window', () => {
    const clock = new ManualClock();
    const budget = retryBudget({ clock, ratio: 0.5, minRetries: 1, windowMs: 1_000 });
    for (let i = 0; i < 4; i++) budget.recordCall();
    expect(budget.available).toBe(3);
    expect([budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('forgets calls and retries once they leave the window', () => {
    const clock = new ManualClock();
    const budget = retryBudget({ clock, ratio: 0, minRetries: 1, windowMs: 1_000 });
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    clock.advance(1_000);
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('rejects a ratio outside 0..1', () => {
    expect(() => retryBudget({ ratio: 1.5 })).toThrow(
      /ratio: must be a ratio from 0 to 1, e.g. 0.5 for 50% \(got 1.5\)/,
    );
  });
});
