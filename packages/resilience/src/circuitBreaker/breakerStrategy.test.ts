import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { consecutiveFailures, countWindow, timeWindow } from './breakerStrategy.js';
import { circuitBreaker } from './circuitBreaker.js';
import type { CircuitBreakerPolicy } from './circuitBreaker.js';

const fail = (): Promise<never> => Promise.reject(new Error('down'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function failTimes(breaker: CircuitBreakerPolicy, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(fail).catch(() => {});
}

describe('breaker strategies', () => {
  it('count window opens at the failure ratio once the minimum throughput is reached', async () => {
    const breaker = circuitBreaker({
      clock: new ManualClock(),
      strategy: countWindow({ size: 4, failureRatio: 0.5, minimumThroughput: 4 }),
    });
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('count window forgets calls that slid out of it', async () => {
    const breaker = circuitBreaker({
      clock: new ManualClock(),
      strategy: countWindow({ size: 3, failureRatio: 0.7, minimumThroughput: 3 }),
    });
    await failTimes(breaker, 2);
    await breaker.execute(ok);
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('count window opens on the slow-call ratio', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({
      clock,
      slowCallDuration: 100,
      strategy: countWindow({ size: 2, minimumThroughput: 2, slowCallRatio: 1 }),
    });
    for (let i = 0; i < 2; i++) {
      const call = breaker.execute(() => clock.sleep(100));
      await clock.tickAsync(100);
      await call;
    }
    expect(breaker.state).toBe('open');
  });

  it('time window judges only the calls inside the window', async () => {
    const clock = new ManualClock();
    const breakEvents: string[] = [];
    const breaker = circuitBreaker({
      clock,
      strategy: timeWindow({ windowMs: 1_000, buckets: 10, failureRatio: 0.5, minimumThroughput: 3 }),
    });
    breaker.onBreak(({ reason }) => breakEvents.push(reason));
    await failTimes(breaker, 2);
    clock.advance(1_000);
    await breaker.execute(ok);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breakEvents).toEqual(['failure-ratio']);
  });

  it('does not open below the minimum throughput', async () => {
    const breaker = circuitBreaker({
      clock: new ManualClock(),
      strategy: timeWindow({ windowMs: 1_000, minimumThroughput: 5 }),
    });
    await failTimes(breaker, 4);
    expect(breaker.state).toBe('closed');
  });

  it('time window opens on the slow-call ratio and reports why', async () => {
    const clock = new ManualClock();
    const reasons: string[] = [];
    const breaker = circuitBreaker({
      clock,
      slowCallDuration: 50,
      strategy: timeWindow({ windowMs: 10_000, minimumThroughput: 4, slowCallRatio: 0.5 }),
    });
    breaker.onBreak(({ reason }) => reasons.push(reason));
    await breaker.execute(ok);
    await breaker.execute(ok);
    for (let i = 0; i < 2; i++) {
      const slow = breaker.execute(() => clock.sleep(60));
      await clock.tickAsync(60);
      await slow;
    }
    expect(breaker.state).toBe('open');
    expect(reasons).toEqual(['slow-call-ratio']);
  });

  it('rejects strategy options out of range', () => {
    expect(() => countWindow({ size: 0 })).toThrow(/size/);
    expect(() => countWindow({ size: 5, failureRatio: 2 })).toThrow(
      /failureRatio: must be a ratio from 0 to 1/,
    );
    expect(() => countWindow({ size: 5, minimumThroughput: 6 })).toThrow(
      /minimumThroughput: must be <= size/,
    );
    expect(() => timeWindow({ windowMs: 0 })).toThrow(/windowMs/);
    expect(() => consecutiveFailures(0)).toThrow(/threshold/);
  });
});
