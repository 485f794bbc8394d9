import { getEventListeners } from 'node:events';
import { isTimeoutError, ManualClock, noopPolicy } from '@keel/core';
import type { Policy } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { constantBackoff } from '../backoff/backoff.js';
import { consecutiveFailures } from '../circuitBreaker/breakerStrategy.js';
import { circuitBreaker } from '../circuitBreaker/circuitBreaker.js';
import { isBrokenCircuitError } from '../errors/errors.js';
import { retry } from '../retry/retry.js';
import { timeout } from '../timeout/timeout.js';
import { pipeline } from './pipeline.js';

describe('pipeline', () => {
  it('runs the layers in order, the first outermost', async () => {
    const order: string[] = [];
    const layer = (name: string): Policy => ({
      async execute(fn, signal) {
        order.push(`${name} in`);
        try {
          return await noopPolicy.execute(fn, signal);
        } finally {
          order.push(`${name} out`);
        }
      },
    });
    await pipeline(layer('a'), layer('b'), layer('c')).execute(() => order.push('fn'));
    expect(order).toEqual(['a in', 'b in', 'c in', 'fn', 'c out', 'b out', 'a out']);
  });

  it('retries timed-out attempts, each with its own time limit and signal', async () => {
    const clock = new ManualClock();
    const signals: AbortSignal[] = [];
    const policy = pipeline(
      retry({ clock, maxRetries: 2, backoff: constantBackoff(0) }),
      timeout(100, { clock }),
    );
    const done = policy.execute(async ({ signal, attempt }) => {
      signals.push(signal);
      if (attempt < 3) await clock.sleep(1_000, signal);
      return attempt;
    });
    await clock.tickAsync(200);
    await expect(done).resolves.toBe(3);
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true, false]);
    expect(new Set(signals).size).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('hands the merged context to the function', async () => {
    const seen = await pipeline(timeout(1_000), retry()).execute((context) => ({
      attempt: context.attempt,
      signal: context.signal instanceof AbortSignal,
    }));
    expect(seen).toEqual({ attempt: 1, signal: true });
  });

  it('lets the breaker see every attempt of a retry outside it', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(2), breakDuration: 60_000 });
    const policy = pipeline(retry({ clock, maxRetries: 5, backoff: constantBackoff(1) }), breaker);
    let calls = 0;
    const done = policy.execute(() => {
      calls++;
      throw new Error('down');
    });
    const error = done.catch((e: unknown) => e);
    await clock.tickAsync(10);
    expect(isBrokenCircuitError(await error)).toBe(true);
    expect(calls).toBe(2);
  });

  it('a timeout around a breaker aborts only its own call', async () => {
    const clock = new ManualClock();
    const policy = pipeline(circuitBreaker({ clock }), timeout(50, { clock }));
    const signals: AbortSignal[] = [];
    const slow = policy.execute(async ({ signal }) => (signals.push(signal), clock.sleep(500, signal)));
    const fast = policy.execute(
      async ({ signal }) => (signals.push(signal), clock.sleep(10, signal).then(() => 'fast')),
    );
    const slowError = slow.catch((e: unknown) => e);
    await clock.tickAsync(10);
    await expect(fast).resolves.toBe('fast');
    await clock.tickAsync(40);
    expect(isTimeoutError(await slowError)).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
  });

  it('passes the caller signal through every layer and leaves no listener on it', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const policy = pipeline(retry({ clock }), circuitBreaker({ clock }), timeout(100, { clock }));
    for (let i = 0; i < 5; i++) await policy.execute(() => i, controller.signal);
    const pending = policy.execute(({ signal }) => clock.sleep(1_000, signal), controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an empty pipeline just runs the function', async () => {
    await expect(pipeline().execute(() => 'plain')).resolves.toBe('plain');
  });

  it('rejects with the abort reason before running anything when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already'));
    let ran = false;
    await expect(pipeline(retry()).execute(() => (ran = true), controller.signal)).rejects.toThrow('already');
    expect(ran).toBe(false);
  });

  it('is usable wherever a core Policy is expected', async () => {
    const asCore: Policy = pipeline(retry(), timeout(10));
    await expect(asCore.execute(() => 1)).resolves.toBe(1);
  });
});
