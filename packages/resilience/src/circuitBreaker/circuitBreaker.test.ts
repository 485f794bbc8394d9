import { isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { exponentialBackoff } from '../backoff/backoff.js';
import { BrokenCircuitError, isBrokenCircuitError } from '../errors/errors.js';
import { consecutiveFailures } from './breakerStrategy.js';
import { circuitBreaker } from './circuitBreaker.js';
import type { CircuitBreakerPolicy } from './circuitBreaker.js';

const fail = (): Promise<never> => Promise.reject(new Error('down'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function failTimes(breaker: CircuitBreakerPolicy, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(fail).catch(() => {});
}

async function refusal(promise: Promise<unknown>): Promise<BrokenCircuitError> {
  const error = await promise.catch((e: unknown) => e);
  expect(isBrokenCircuitError(error)).toBe(true);
  return error as BrokenCircuitError;
}

describe('circuitBreaker: consecutive failures', () => {
  it('opens after the threshold of failures in a row and refuses calls without running them', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(3) });
    await failTimes(breaker, 3);
    expect(breaker.state).toBe('open');
    let ran = false;
    await refusal(breaker.execute(() => (ran = true)));
    expect(ran).toBe(false);
  });

  it('a success resets the consecutive count', async () => {
    const breaker = circuitBreaker({ clock: new ManualClock(), strategy: consecutiveFailures(2) });
    await failTimes(breaker, 1);
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('says when it will allow calls again', async () => {
    const clock = new ManualClock(1_000);
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 5_000 });
    await failTimes(breaker, 1);
    clock.advance(2_000);
    const error = await refusal(breaker.execute(ok));
    expect(error.reason).toBe('open');
    expect(error.retryAfter).toBe(3_000);
    expect(error.openUntil).toBe(6_000);
    expect(error.message).toMatch(/lets a probe through in 3000 ms/);
  });

  it('errors rejected by the predicate pass through without counting', async () => {
    const breaker = circuitBreaker({
      clock: new ManualClock(),
      strategy: consecutiveFailures(1),
      handle: (error) => !(error instanceof TypeError),
    });
    await expect(breaker.execute(() => Promise.reject(new TypeError('bad input')))).rejects.toThrow(
      'bad input',
    );
    expect(breaker.state).toBe('closed');
  });

  it('results matched by the result predicate count as failures', async () => {
    const breaker = circuitBreaker({
      clock: new ManualClock(),
      strategy: consecutiveFailures(1),
      handleResult: (result) => (result as { status: number }).status >= 500,
    });
    await expect(breaker.execute(async () => ({ status: 503 }))).resolves.toEqual({ status: 503 });
    expect(breaker.state).toBe('open');
  });

  it('a call aborted by its caller is not counted as a failure', async () => {
    const breaker = circuitBreaker({ clock: new ManualClock(), strategy: consecutiveFailures(1) });
    const controller = new AbortController();
    const done = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      controller.signal,
    );
    controller.abort(new Error('gone'));
    await expect(done).rejects.toThrow('gone');
    expect(breaker.state).toBe('closed');
  });
});

describe('circuitBreaker: break duration, manual control, state and events', () => {
  it('grows the break duration by a backoff over consecutive openings, and resets it on close', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      strategy: consecutiveFailures(1),
      breakDuration: exponentialBackoff(100),
    });
    const durations: number[] = [];
    breaker.onBreak(({ duration }) => durations.push(duration));
    await failTimes(breaker, 1);
    clock.advance(100);
    await failTimes(breaker, 1);
    clock.advance(200);
    await failTimes(breaker, 1);
    clock.advance(400);
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    expect(durations).toEqual([100, 200, 400, 100]);
  });

  it('isolate() refuses every call until reset()', async () => {
    const breaker = circuitBreaker({ clock: new ManualClock() });
    breaker.isolate();
    const error = await refusal(breaker.execute(ok));
    expect(error.reason).toBe('isolated');
    expect(error.retryAfter).toBeUndefined();
    breaker.reset();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  it('emits an event on every transition', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    const changes: string[] = [];
    const seen: string[] = [];
    breaker.onStateChange(({ from, to }) => changes.push(`${from}->${to}`));
    breaker.onBreak(() => seen.push('break'));
    breaker.onHalfOpen(() => seen.push('half-open'));
    breaker.onReset(() => seen.push('reset'));
    breaker.onIsolate(() => seen.push('isolate'));
    await failTimes(breaker, 1);
    clock.advance(10);
    await breaker.execute(ok);
    breaker.isolate();
    breaker.reset();
    expect(changes).toEqual([
      'closed->open',
      'open->half-open',
      'half-open->closed',
      'closed->isolated',
      'isolated->closed',
    ]);
    expect(seen).toEqual(['break', 'half-open', 'reset', 'isolate', 'reset']);
  });

  it('rejects a success threshold above the probe count, and other bad options', () => {
    let error: unknown;
    try {
      circuitBreaker({ halfOpenProbes: 2, successThreshold: 3, breakDuration: -1 });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /breakDuration.*successThreshold: must be <= halfOpenProbes \(2\) \(got 3\)/,
    );
  });

  it('hands each call its own signal', async () => {
    const breaker = circuitBreaker();
    const signals: AbortSignal[] = [];
    await breaker.execute(({ signal }) => signals.push(signal));
    await breaker.execute(({ signal }) => signals.push(signal));
    expect(signals[0]).not.toBe(signals[1]);
  });

  it('BrokenCircuitError is a typed KeelError with a stable code', () => {
    const error = new BrokenCircuitError({ reason: 'open', openUntil: 10, retryAfter: 5 });
    expect(error.code).toBe('CIRCUIT_BROKEN');
    expect(isBrokenCircuitError({ ...error })).toBe(false);
  });
});
