import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isBrokenCircuitError } from '../errors/errors.js';
import type { BrokenCircuitError } from '../errors/errors.js';
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

describe('circuit breaker state export and restore', () => {
  it('exports an open state that a new breaker restores', async () => {
    const clock = new ManualClock(500);
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 1_000 });
    await failTimes(breaker, 1);
    const saved = JSON.parse(JSON.stringify(breaker.exportState())) as ReturnType<typeof breaker.exportState>;
    expect(saved).toEqual({ version: 1, state: 'open', openUntil: 1_500, breakCount: 1 });
    const restored = circuitBreaker({ clock, initialState: saved });
    expect((await refusal(restored.execute(ok))).retryAfter).toBe(1_000);
    clock.advance(1_000);
    await restored.execute(ok);
    expect(restored.state).toBe('closed');
  });

  it('exports an open circuit whose break is over as it is: open, until the break ended', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    await failTimes(breaker, 1);
    clock.advance(20);
    expect(breaker.exportState()).toEqual({ version: 1, state: 'open', openUntil: 10, breakCount: 1 });
    expect(breaker.state).toBe('open');
  });

  it('exports a half-open circuit as open until now, so the restored breaker probes on its first call', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 10 });
    await failTimes(breaker, 1);
    clock.advance(20);
    void breaker.execute(() => new Promise(() => {}));
    expect(breaker.state).toBe('half-open');
    const saved = breaker.exportState();
    expect(saved).toEqual({ version: 1, state: 'open', openUntil: 20, breakCount: 1 });
    const restored = circuitBreaker({ clock, initialState: saved });
    expect(restored.state).toBe('open');
    await expect(restored.execute(ok)).resolves.toBe('ok');
    expect(restored.state).toBe('closed');
  });

  it('restores an isolated state', async () => {
    const restored = circuitBreaker({ initialState: { version: 1, state: 'isolated', breakCount: 0 } });
    expect((await refusal(restored.execute(ok))).reason).toBe('isolated');
  });

  it('rejects a corrupt snapshot with the problems listed', () => {
    expect(() =>
      circuitBreaker({ initialState: { version: 2, state: 'open', breakCount: -1 } as never }),
    ).toThrow(/version: must be 1.*openUntil.*breakCount/);
  });
});
