// Each policy checks its `clock` and `logger` for the methods it calls, and no more: a partial
// test clock or logger with those methods is accepted and works, one without them is refused.
import { isValidationError, systemClock } from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { constantBackoff } from './backoff/backoff.js';
import { bulkhead } from './bulkhead/bulkhead.js';
import { chaos } from './chaos/chaos.js';
import { circuitBreaker } from './circuitBreaker/circuitBreaker.js';
import { fallback } from './fallback/fallback.js';
import { hedge } from './hedge/hedge.js';
import { gcra } from './rateLimiter/gcra.js';
import { rateLimiter } from './rateLimiter/rateLimiter.js';
import { retry } from './retry/retry.js';
import { retryBudget } from './retry/retryBudget.js';
import { timeout } from './timeout/timeout.js';

/** The system clock with only `methods`, as a hand-written test clock often is. */
function partialClock(...methods: (keyof Clock)[]): Clock {
  const clock: Partial<Record<keyof Clock, unknown>> = {};
  for (const method of methods) clock[method] = systemClock[method].bind(systemClock);
  return clock as Clock;
}

/** Every policy logs through `error` only (a listener that threw). */
const errorOnlyLogger = { error: () => {} } as unknown as Logger;

interface Ports {
  clock: Clock;
  logger: Logger;
}

let calls = 0;
/** Fails the first call of each run, so retry sleeps once. */
const failOnce = (): string => {
  calls += 1;
  if (calls === 1) throw new Error('first call fails');
  return 'ok';
};

const POLICIES: [string, (keyof Clock)[], (ports: Ports) => Promise<unknown>][] = [
  [
    'retry',
    ['now', 'sleep'],
    (ports) => retry({ maxRetries: 1, backoff: constantBackoff(1), ...ports }).execute(failOnce),
  ],
  ['chaos', ['now', 'sleep'], (ports) => chaos({ latencyRate: 1, latency: 1, ...ports }).execute(() => 'ok')],
  ['fallback', ['now'], (ports) => fallback('ok', ports).execute(failOnce)],
  ['circuitBreaker', ['now'], (ports) => circuitBreaker(ports).execute(() => 'ok')],
  ['hedge', ['now', 'setTimeout'], (ports) => hedge({ delay: 1_000, ...ports }).execute(() => 'ok')],
  ['timeout', ['now', 'setTimeout'], (ports) => timeout(1_000, ports).execute(() => 'ok')],
  [
    'bulkhead',
    ['now', 'setTimeout'],
    (ports) => bulkhead(1, { queueTimeout: 1_000, ...ports }).execute(() => 'ok'),
  ],
  [
    'rateLimiter',
    ['now', 'setTimeout'],
    (ports) => rateLimiter(gcra({ limit: 1, periodMs: 1_000 }), ports).execute(() => 'ok'),
  ],
];

describe('clock and logger options: each policy needs only the methods it calls', () => {
  it.each(POLICIES)('%s works with a clock of %j and a logger with only error', async (_, uses, run) => {
    calls = 0;
    await expect(run({ clock: partialClock(...uses), logger: errorOnlyLogger })).resolves.toBe('ok');
  });

  it.each(POLICIES)('%s refuses a clock without one of %j', (_, uses, run) => {
    let error: unknown;
    try {
      void run({ clock: partialClock(...uses.slice(1)), logger: errorOnlyLogger });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
    expect(String(error)).toContain(`clock: must be a Clock (with ${uses.join(', ')})`);
  });

  it('retryBudget works with a clock that has only now', () => {
    const budget = retryBudget({ clock: partialClock('now'), minRetries: 1 });
    budget.recordCall();
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('refuses a logger without error', () => {
    expect(() => retry({ logger: { warn: () => {} } as unknown as Logger })).toThrow(
      /logger: must be a Logger \(with error\)/,
    );
  });
});
