// Faults found in the TypeScript libraries Keel is measured against (cockatiel, opossum), each
// pinned by a test that fails if Keel ever shows the same fault.
import { getEventListeners } from 'node:events';
import { isTimeoutError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { constantBackoff, decorrelatedJitterBackoff, exponentialBackoff } from './backoff/backoff.js';
import { bulkhead } from './bulkhead/bulkhead.js';
import { consecutiveFailures } from './circuitBreaker/breakerStrategy.js';
import { circuitBreaker } from './circuitBreaker/circuitBreaker.js';
import { hedge } from './hedge/hedge.js';
import { pipeline } from './pipeline/pipeline.js';
import { retry } from './retry/retry.js';
import { timeout } from './timeout/timeout.js';

describe('known faults of other libraries that Keel must not have', () => {
  it('a retry sleep stops as soon as the signal aborts, not when the delay ends', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const done = retry({ clock, backoff: constantBackoff(3_600_000) }).execute(() => {
      throw new Error('down');
    }, controller.signal);
    await clock.tickAsync(0);
    controller.abort(new Error('shutdown'));
    // No time passes: the rejection must arrive without advancing the clock.
    await expect(done).rejects.toThrow('shutdown');
    expect(clock.now()).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a timeout in one call through a breaker never aborts the other in-flight calls', async () => {
    const clock = new ManualClock();
    const policy = pipeline(circuitBreaker({ clock }), timeout(100, { clock }));
    const signals: AbortSignal[] = [];
    const call = (ms: number): Promise<string> =>
      policy.execute(async ({ signal }) => {
        signals.push(signal);
        await clock.sleep(ms, signal);
        return `${ms}`;
      });
    const slow = call(1_000).catch((e: unknown) => e);
    const others = [call(150), call(150)].map((other) => other.catch((e: unknown) => e));
    await clock.tickAsync(50);
    const late = [call(80), call(80)];
    await clock.tickAsync(50);
    expect(isTimeoutError(await slow)).toBe(true);
    expect(signals.filter((signal) => signal.aborted)).toHaveLength(3);
    expect(signals.slice(3).every((signal) => !signal.aborted)).toBe(true);
    await clock.tickAsync(30);
    await expect(Promise.all(late)).resolves.toEqual(['80', '80']);
    expect((await Promise.all(others)).every(isTimeoutError)).toBe(true);
  });

  it('no listener stays on a long-lived caller signal after thousands of calls through every policy', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const policy = pipeline(
      retry({ clock, maxRetries: 1, backoff: constantBackoff(1) }),
      circuitBreaker({ clock, strategy: consecutiveFailures(1_000_000) }),
      bulkhead(10, { maxQueue: 10 }),
      hedge({ clock, delay: 5 }),
      timeout(20, { clock }),
    );
    for (let i = 0; i < 1_000; i++) {
      const mode = i % 4;
      const done = policy
        .execute(async ({ signal }) => {
          if (mode === 1) throw new Error('fails');
          if (mode === 2) await clock.sleep(50, signal);
          return i;
        }, controller.signal)
        .catch(() => {});
      await clock.tickAsync(100);
      await done;
    }
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    ['exponential', exponentialBackoff(100, { maxDelay: 60_000 })],
    ['exponential with jitter', exponentialBackoff(100, { maxDelay: 60_000, jitter: 'full' })],
    ['decorrelated jitter', decorrelatedJitterBackoff(100, { maxDelay: 60_000 })],
  ])('%s backoff never overflows to NaN or Infinity over 5 000 consecutive retries', (_, backoff) => {
    const sequence = backoff.begin();
    for (let retryNumber = 1; retryNumber <= 5_000; retryNumber++) {
      const delay = sequence.next(retryNumber);
      if (!(Number.isFinite(delay) && delay >= 0 && delay <= 60_000))
        throw new Error(`retry ${retryNumber} gave ${delay}`);
    }
  });

  it('half-open never gets stuck: aborted and uncounted probes free their slot', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutiveFailures(1),
      breakDuration: 10,
      handle: (error) => !(error instanceof TypeError),
    });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    clock.advance(10);
    await breaker.execute(() => Promise.reject(new TypeError('bad input'))).catch(() => {});
    const controller = new AbortController();
    const probe = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      controller.signal,
    );
    controller.abort(new Error('client left'));
    await probe.catch(() => {});
    await expect(breaker.execute(() => 'probe')).resolves.toBe('probe');
    expect(breaker.state).toBe('closed');
  });

  it('a hung probe does not keep the circuit half-open forever when a timeout sits inside the breaker', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    const policy = pipeline(breaker, timeout(50, { clock }));
    await policy.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    clock.advance(10);
    const hung = policy.execute(({ signal }) => clock.sleep(1_000_000, signal)).catch((e: unknown) => e);
    await clock.tickAsync(50);
    expect(isTimeoutError(await hung)).toBe(true);
    expect(breaker.state).toBe('open');
    clock.advance(20);
    await expect(policy.execute(() => 'recovered')).resolves.toBe('recovered');
    expect(breaker.state).toBe('closed');
  });
});
