// Scenarios for the options table (options.test.ts): each runs one factory on a manual clock and
// returns a trace that differs when an option's default is not in force.
import { ManualClock, seededRandom } from '@keel/core';
import {
  constantBackoff,
  decorrelatedJitterBackoff,
  exponentialBackoff,
  linearBackoff,
} from './backoff/backoff.js';
import { bulkhead } from './bulkhead/bulkhead.js';
import { chaos } from './chaos/chaos.js';
import { countWindow, timeWindow } from './circuitBreaker/breakerStrategy.js';
import { circuitBreaker } from './circuitBreaker/circuitBreaker.js';
import { fallback } from './fallback/fallback.js';
import { hedge } from './hedge/hedge.js';
import { gcra } from './rateLimiter/gcra.js';
import { rateLimiter } from './rateLimiter/rateLimiter.js';
import { InMemoryRateLimitStore } from './rateLimiter/rateLimitStore.js';
import { tokenBucket } from './rateLimiter/tokenBucket.js';
import { retry } from './retry/retry.js';
import { retryBudget } from './retry/retryBudget.js';
import { timeout } from './timeout/timeout.js';

/** Options as a test passes them: any key, any value (`undefined` included). */
export type Extra = Record<string, unknown>;

/** How a call ended, as plain data (errors by name and message). */
export async function outcome(work: PromiseLike<unknown>): Promise<unknown> {
  try {
    return { value: await work };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

/** Runs `work` to the end on `clock`, jumping time to each timer. */
export async function drive(clock: ManualClock, work: PromiseLike<unknown>): Promise<unknown> {
  const result = outcome(work);
  await clock.runAllAsync();
  return result;
}

function failingUpTo(limit: number): { fn: () => Promise<string>; attempts: () => number } {
  let attempts = 0;
  return {
    fn: async () => {
      attempts++;
      if (attempts < limit) throw new Error(`failure ${attempts}`);
      return 'runaway';
    },
    attempts: () => attempts,
  };
}

/** Retries an always-failing call (stopped at 50 attempts if retries never end). */
export async function runRetry(extra: Extra, base: Extra = {}): Promise<unknown> {
  const clock = new ManualClock();
  const policy = retry({ clock, ...base, ...extra });
  const delays: number[] = [];
  policy.onRetry(({ delay }) => delays.push(delay));
  policy.onGiveUp(() => {
    throw new Error('a throwing listener');
  });
  const call = failingUpTo(50);
  const result = await drive(clock, policy.execute(call.fn));
  return { attempts: call.attempts(), delays, result };
}

/** Retries on the system clock with 1 ms waits (for the `clock` option itself). */
export async function runRetryRealTime(extra: Extra): Promise<unknown> {
  const call = failingUpTo(2);
  return outcome(retry({ backoff: constantBackoff(1), ...extra }).execute(call.fn));
}

/** Counts the withdrawals a budget allows after 20 calls, then again after its window. */
export function runBudget(extra: Extra): unknown {
  const clock = new ManualClock();
  const budget = retryBudget({ clock, ...extra });
  const drain = (): number => {
    let taken = 0;
    while (taken < 1_000 && budget.tryWithdraw()) taken++;
    return taken;
  };
  for (let i = 0; i < 20; i++) budget.recordCall();
  const first = drain();
  clock.advance(5_000);
  const half = budget.available;
  clock.advance(5_001);
  return { first, half, later: drain() };
}

/** The first 40 delays of a backoff. */
export function delays(make: (extra: Extra) => { begin(): { next(retry: number): number } }) {
  return (extra: Extra): number[] => {
    const sequence = make(extra).begin();
    return Array.from({ length: 40 }, (_, i) => sequence.next(i + 1));
  };
}

export const backoffs = {
  constant: delays((extra) => constantBackoff(100, extra)),
  linear: delays((extra) => linearBackoff(100, extra)),
  exponential: delays((extra) => exponentialBackoff(100, extra)),
  decorrelated: delays((extra) => decorrelatedJitterBackoff(100, { random: seededRandom(7), ...extra })),
};

/** Opens a breaker with failures, waits out the break, then sends two probes at once. */
export async function runBreaker(extra: Extra, base: Extra = {}): Promise<unknown> {
  const clock = new ManualClock();
  const breaker = circuitBreaker({ clock, ...base, ...extra });
  const states: string[] = [];
  breaker.onStateChange(({ to }) => states.push(`${clock.now()}:${to}`));
  breaker.onBreak(() => {
    throw new Error('a throwing listener');
  });
  const results: unknown[] = [];
  for (let i = 0; i < 11; i++) {
    results.push(await outcome(breaker.execute(() => Promise.reject(new Error(`down ${i}`)))));
  }
  clock.advance(30_000);
  let release!: (value: string) => void;
  const first = outcome(breaker.execute(() => new Promise<string>((resolve) => (release = resolve))));
  const second = await outcome(breaker.execute(() => 'second'));
  release('first');
  results.push(await first, second, breaker.state);
  clock.advance(1_000);
  results.push(await outcome(breaker.execute(() => Promise.resolve({ status: 503 }))), breaker.state);
  return { results, states };
}

/** A count-window breaker of size 4 seeing four failures. */
export function runCountWindow(extra: Extra): Promise<unknown> {
  return runBreaker({}, { strategy: countWindow({ size: 4, ...extra } as never) });
}

/** A 1 s time-window breaker seeing failures. */
export function runTimeWindow(extra: Extra): Promise<unknown> {
  return runBreaker({}, { strategy: timeWindow({ windowMs: 1_000, ...extra } as never) });
}

/** A 100 ms timeout over a call that ignores its signal and ends after 1 s. */
export async function runTimeout(extra: Extra): Promise<unknown> {
  const clock = new ManualClock();
  const policy = timeout(100, { clock, ...extra });
  const events: number[] = [];
  policy.onTimeout(({ timeoutMs }) => events.push(timeoutMs));
  const work = policy.execute(() => clock.sleep(1_000)).finally(() => events.push(clock.now()));
  return { result: await drive(clock, work), events };
}

/** A bulkhead of 1 with two calls arriving while the first runs for 10 s. */
export async function runBulkhead(extra: Extra, base: Extra = {}): Promise<unknown> {
  const clock = new ManualClock();
  const policy = bulkhead(1, { clock, ...base, ...extra });
  const ended: unknown[] = [];
  const calls = [0, 1, 2].map((i) =>
    outcome(policy.execute(() => clock.sleep(10_000).then(() => i))).then((r) =>
      ended.push([clock.now(), r]),
    ),
  );
  await clock.runAllAsync();
  await Promise.all(calls);
  return ended;
}

/** A fallback over a failing call and over a call returning a "bad" result. */
export async function runFallback(extra: Extra): Promise<unknown> {
  const policy = fallback('substitute', extra);
  return [
    await outcome(policy.execute(() => Promise.reject(new Error('down')))),
    await outcome(policy.execute(() => ({ status: 503 }))),
  ];
}

/**
 * Three acquisitions of a 2-token bucket and one of 2 permits, through a store that records
 * its keys (unless `record` is off, for the `store` option itself).
 */
export async function runRateLimiter(extra: Extra, record = true): Promise<unknown> {
  const clock = new ManualClock();
  const inner = new InMemoryRateLimitStore();
  const keys: string[] = [];
  const recording = {
    consume: (
      key: string,
      ...rest: Parameters<InMemoryRateLimitStore['consume']> extends [string, ...infer R] ? R : never
    ) => (keys.push(key), inner.consume(key, ...rest)),
  };
  const base = record ? { clock, store: recording } : { clock };
  const limiter = rateLimiter(tokenBucket({ capacity: 2, refillPerSecond: 1 }), { ...base, ...extra });
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await drive(clock, limiter.acquire('k', { permits: undefined })));
  clock.advance(1_500);
  results.push(await drive(clock, limiter.acquire('k', { permits: 2, signal: undefined })));
  return { results, keys };
}

/** GCRA of 3 per second taking permits one by one at one instant. */
export function runGcra(extra: Extra): unknown {
  const algorithm = gcra({ limit: 3, periodMs: 1_000, ...extra } as never);
  const store = new InMemoryRateLimitStore();
  return Array.from({ length: 5 }, () => store.consume('k', algorithm, 1, 0));
}

/** Fills an in-memory store past 10 000 keys. */
export function runStore(extra: Extra): unknown {
  const store = new InMemoryRateLimitStore(extra);
  const algorithm = tokenBucket({ capacity: 1, refillPerSecond: 1 });
  for (let i = 0; i <= 10_000; i++) store.consume(`k${i}`, algorithm, 1, 0);
  return store.size;
}

/** A hedged call whose primary attempt takes 5 s and whose hedges take 100 ms. */
export async function runHedge(extra: Extra, fail = false): Promise<unknown> {
  const clock = new ManualClock();
  const policy = hedge({ clock, ...extra });
  const launched: string[] = [];
  const work = policy.execute(async ({ attempt, signal }) => {
    launched.push(`${clock.now()}:${attempt}`);
    if (fail && attempt === 1) throw new Error('primary failed');
    await clock.sleep(attempt === 1 ? 5_000 : 100, signal);
    return attempt;
  });
  return { result: await drive(clock, work), launched };
}

/** Twenty calls through chaos with a seeded random source. */
export async function runChaos(extra: Extra, base: Extra = {}): Promise<unknown> {
  const clock = new ManualClock();
  const policy = chaos({ clock, random: seededRandom(3), ...base, ...extra });
  const results = [];
  for (let i = 0; i < 20; i++)
    results.push(
      await drive(
        clock,
        policy.execute(() => i),
      ),
    );
  return { results, at: clock.now() };
}
