import { isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError } from '../errors/errors.js';
import type { BrokenCircuitError } from '../errors/errors.js';
import { consecutiveFailures, countWindow, timeWindow } from './breakerStrategy.js';
import type { BreakerStrategy } from './breakerStrategy.js';
import { circuitBreaker } from './circuitBreaker.js';
import type { CircuitBreakerPolicy } from './circuitBreaker.js';

async function failTimes(
  breaker: CircuitBreakerPolicy,
  times: number,
  error = new Error('down'),
): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(() => Promise.reject(error)).catch(() => {});
}

async function refusal(breaker: CircuitBreakerPolicy): Promise<BrokenCircuitError> {
  const error = await breaker.execute(() => 'ran').catch((e: unknown) => e);
  if (!isBrokenCircuitError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

// Each strategy is one failure away from opening after `primed` failures.
const strategies: [string, () => BreakerStrategy, number][] = [
  ['consecutive failures', () => consecutiveFailures(3), 2],
  ['count window', () => countWindow({ size: 4, minimumThroughput: 4 }), 3],
  ['time window', () => timeWindow({ windowMs: 60_000, minimumThroughput: 4 }), 3],
];

describe('circuitBreaker: reset() on a closed circuit', () => {
  it.each(strategies)(
    '%s: forgets the failures, so one more failure does not open it',
    async (_, make, primed) => {
      const clock = new ManualClock();
      const breaker = circuitBreaker({ clock, strategy: make() });
      await failTimes(breaker, primed);
      expect(breaker.state).toBe('closed');
      breaker.reset();
      await failTimes(breaker, 1);
      expect(breaker.state).toBe('closed');
      // The statistics start afresh: a full run of failures still opens it.
      await failTimes(breaker, primed);
      expect(breaker.state).toBe('open');
    },
  );

  it.each(strategies)(
    '%s: without reset, the same failure opens it (the control)',
    async (_, make, primed) => {
      const breaker = circuitBreaker({ clock: new ManualClock(), strategy: make() });
      await failTimes(breaker, primed + 1);
      expect(breaker.state).toBe('open');
    },
  );

  it('forgets the slow calls of a window too', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      slowCallDuration: 100,
      strategy: countWindow({ size: 4, minimumThroughput: 4, slowCallRatio: 0.5 }),
    });
    const slow = (): Promise<void> => breaker.execute(() => clock.sleep(100));
    for (let i = 0; i < 3; i++) {
      const call = slow();
      await clock.tickAsync(100);
      await call;
    }
    breaker.reset();
    const last = slow();
    await clock.tickAsync(100);
    await last;
    expect(breaker.state).toBe('closed');
  });

  it('does not count a failure of a call that started before the reset', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1) });
    const running = breaker.execute(() => clock.sleep(10).then(() => Promise.reject(new Error('late'))));
    const settled = expect(running).rejects.toThrow('late');
    breaker.reset();
    await clock.tickAsync(10);
    await settled;
    expect(breaker.state).toBe('closed');
  });

  it('emits no state change and resets the break backoff', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    const changes: string[] = [];
    breaker.onStateChange(({ to }) => changes.push(to));
    breaker.reset();
    expect(changes).toEqual([]);
    expect(breaker.exportState()).toEqual({ version: 1, state: 'closed', breakCount: 0 });
  });
});

describe('circuitBreaker: BrokenCircuitError.cause', () => {
  it('is the error of the call that opened the circuit', async () => {
    const breaker = circuitBreaker({ clock: new ManualClock(), strategy: consecutiveFailures(2) });
    const first = new Error('first');
    const opener = new Error('connection refused');
    await failTimes(breaker, 1, first);
    await failTimes(breaker, 1, opener);
    const error = await refusal(breaker);
    expect(error.cause).toBe(opener);
    expect(error.reason).toBe('open');
  });

  it('is the rejected result when a result opened it', async () => {
    const breaker = circuitBreaker({
      clock: new ManualClock(),
      strategy: consecutiveFailures(1),
      handleResult: (result) => (result as { status: number }).status >= 500,
    });
    const response = { status: 503 };
    await breaker.execute(() => response);
    expect((await refusal(breaker)).cause).toBe(response);
  });

  it('is the failed probe after a half-open failure, also for refusals while half-open and busy', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    await failTimes(breaker, 1, new Error('first outage'));
    clock.advance(10);
    const probeError = new Error('still down');
    await failTimes(breaker, 1, probeError);
    expect((await refusal(breaker)).cause).toBe(probeError);
    clock.advance(10);
    let release!: () => void;
    const probe = breaker.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const busy = await refusal(breaker);
    expect(busy.reason).toBe('half-open-busy');
    expect(busy.cause).toBe(probeError);
    release();
    await probe;
  });

  it('is absent when the circuit was isolated by hand, and forgotten once it closes', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1) });
    await failTimes(breaker, 1);
    breaker.isolate();
    expect((await refusal(breaker)).cause).toBeUndefined();
    breaker.reset();
    breaker.isolate();
    expect((await refusal(breaker)).cause).toBeUndefined();
  });

  it('refuses an initialState that is not a snapshot with a ValidationError', () => {
    let error: unknown;
    try {
      circuitBreaker({ initialState: { version: 2 } as never });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
  });
});
