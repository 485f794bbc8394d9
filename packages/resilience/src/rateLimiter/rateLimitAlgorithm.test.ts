import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcra } from './gcra.js';
import type { RateLimitAlgorithm, RateLimitDecision } from './rateLimitAlgorithm.js';
import type { RateLimitStore } from './rateLimitStore.js';
import { firstGrantDelay } from './rateLimitAlgorithm.js';
import { rateLimiter } from './rateLimiter.js';
import { InMemoryRateLimitStore } from './rateLimitStore.js';
import { slidingWindow } from './slidingWindow.js';
import { tokenBucket } from './tokenBucket.js';

const EPOCH = Date.parse('2026-12-01T00:00:00Z');

/** Applies a sequence of (gap, permits) requests to an algorithm, checking every refusal. */
function checkRefusals(
  algorithm: RateLimitAlgorithm,
  start: number,
  steps: readonly { gap: number; permits: number }[],
): void {
  let state: unknown;
  let now = start;
  for (const { gap, permits } of steps) {
    now += gap;
    const take = Math.min(permits, algorithm.maxPermits);
    const { decision, state: next } = algorithm.consume(state, take, now);
    if (!decision.allowed) {
      const wait = decision.retryAfter;
      if (!(Number.isInteger(wait) && wait >= 1))
        throw new Error(`retryAfter ${wait} is not a whole ms >= 1`);
      if (!algorithm.consume(next, take, now + wait).decision.allowed)
        throw new Error(`refused again after its retryAfter of ${wait} ms at ${now}`);
      if (wait > 1 && algorithm.consume(next, take, now + wait - 1).decision.allowed)
        throw new Error(`granted at ${wait - 1} ms, before its retryAfter of ${wait} ms at ${now}`);
    }
    state = next;
  }
}

const rate = fc.oneof(fc.integer({ min: 1, max: 1_000 }), fc.double({ min: 0.05, max: 500, noNaN: true }));
const algorithms: fc.Arbitrary<RateLimitAlgorithm> = fc.oneof<fc.Arbitrary<RateLimitAlgorithm>[]>(
  fc.record({ capacity: fc.integer({ min: 1, max: 20 }), refillPerSecond: rate }).map((o) => tokenBucket(o)),
  fc
    .record({
      limit: fc.integer({ min: 1, max: 20 }),
      windowMs: fc.oneof(
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 1, max: 5_000, noNaN: true }),
      ),
    })
    .map((o) => slidingWindow(o)),
  fc
    .record({
      limit: fc.integer({ min: 1, max: 20 }),
      periodMs: fc.integer({ min: 1, max: 60_000 }),
      burst: fc.integer({ min: 1, max: 20 }),
    })
    .map((o) => gcra(o)),
);
const steps = fc.array(
  fc.record({ gap: fc.integer({ min: 0, max: 2_000 }), permits: fc.integer({ min: 1, max: 20 }) }),
  { minLength: 1, maxLength: 40 },
);

describe('rate-limit algorithms: retryAfter is exact', () => {
  it('property: a refusal is granted after exactly retryAfter ms, and not one ms sooner', () => {
    fc.assert(
      fc.property(algorithms, fc.constantFrom(0, 1_000, EPOCH), steps, (algorithm, start, sequence) => {
        checkRefusals(algorithm, start, sequence);
      }),
      { numRuns: 500 },
    );
  });

  it('token bucket: 0.58 of a token at 10 per second takes 58 ms, not 59', () => {
    const bucket = tokenBucket({ capacity: 1, refillPerSecond: 10 });
    const empty = bucket.consume(undefined, 1, 0).state;
    expect(bucket.consume(empty, 1, 42).decision).toEqual({ allowed: false, remaining: 0, retryAfter: 58 });
  });

  it('sliding window: the previous window decays to room in exactly the reported wait', () => {
    const window = slidingWindow({ limit: 3, windowMs: 60_000 });
    let state = window.consume(undefined, 1, 0).state;
    state = window.consume(state, 1, 0).state;
    state = window.consume(state, 1, 0).state;
    const refused = window.consume(state, 1, 47_401);
    expect(refused.decision.retryAfter).toBe(32_599);
    expect(window.consume(refused.state, 1, 47_401 + 32_599).decision.allowed).toBe(true);
  });

  it('gcra: a fresh key grants its whole burst at one instant, at any time', () => {
    const algorithm = gcra({ limit: 7, periodMs: 1_000, burst: 5 });
    for (const now of [236, EPOCH, EPOCH + 17]) {
      let state: number | undefined;
      const granted: boolean[] = [];
      for (let i = 0; i < 5; i++) {
        const step = algorithm.consume(state, 1, now);
        granted.push(step.decision.allowed);
        state = step.state;
      }
      expect(granted).toEqual([true, true, true, true, true]);
    }
  });

  it('gcra: never grants more than the burst at one instant, however many permits a period has', () => {
    // 1,024 per ms: the interval (2^-10 ms) adds to epoch times without rounding, so every
    // permit over the burst would come from the comparison's slack alone.
    for (const [limit, periodMs] of [
      [1_024, 1],
      [4_096, 4],
      [1 << 20, 1_024],
    ] as const) {
      const algorithm = gcra({ limit, periodMs });
      for (const now of [0, EPOCH, EPOCH + 17]) {
        let state: number | undefined;
        let granted = 0;
        for (let i = 0; i < limit + 50; i++) {
          const step = algorithm.consume(state, 1, now);
          if (step.decision.allowed) granted++;
          state = step.state;
        }
        expect(granted, `${limit} per ${periodMs} ms at ${now}`).toBe(limit);
      }
    }
  });

  it('firstGrantDelay finds the first granted ms from any estimate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: -10, max: 2e6 }),
        (first, estimate) => {
          expect(firstGrantDelay(estimate, (delay) => delay >= first)).toBe(first);
        },
      ),
    );
  });
});

/** Exact reference models in integers, for integer parameters and times. */
const exact = {
  /** Token bucket in thousandths of a token: each ms adds `rate` thousandths. */
  tokenBucket(capacity: number, rate: number) {
    let milli: number | undefined;
    let at = 0;
    return (permits: number, now: number): RateLimitDecision => {
      const time = milli === undefined ? now : Math.max(now, at);
      const level =
        milli === undefined ? capacity * 1_000 : Math.min(capacity * 1_000, milli + (time - at) * rate);
      at = time;
      if (level >= permits * 1_000) {
        milli = level - permits * 1_000;
        return { allowed: true, remaining: Math.floor(milli / 1_000), retryAfter: 0 };
      }
      milli = level;
      const wait = time - now + Math.ceil((permits * 1_000 - level) / rate);
      return { allowed: false, remaining: Math.floor(level / 1_000), retryAfter: Math.max(wait, 1) };
    };
  },
  /** GCRA with time in units of 1/limit ms, where the emission interval is `periodMs` units. */
  gcra(limit: number, periodMs: number, burst: number) {
    let tat: number | undefined;
    const tolerance = periodMs * burst;
    return (permits: number, now: number): RateLimitDecision => {
      const time = now * limit;
      const base = tat === undefined ? time : Math.max(tat, time);
      const needed = base - time + periodMs * permits;
      if (needed <= tolerance) {
        tat = base + periodMs * permits;
        return { allowed: true, remaining: Math.floor((tolerance - needed) / periodMs), retryAfter: 0 };
      }
      tat = base;
      const remaining = Math.max(Math.floor((tolerance - (base - time)) / periodMs), 0);
      return { allowed: false, remaining, retryAfter: Math.ceil((needed - tolerance) / limit) };
    };
  },
};

describe('rate-limit algorithms: decisions equal an exact integer model', () => {
  it('property: token bucket with whole rates, at small and at epoch times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(0, EPOCH),
        steps,
        (capacity, refillPerSecond, start, sequence) => {
          const bucket = tokenBucket({ capacity, refillPerSecond });
          const model = exact.tokenBucket(capacity, refillPerSecond);
          const store = new InMemoryRateLimitStore();
          let now = start;
          for (const { gap, permits } of sequence) {
            now += gap;
            const take = Math.min(permits, capacity);
            expect(store.consume('k', bucket, take, now)).toEqual(model(take, now));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A store holding one key's state, starting from `state`. */
function storeFrom(state: unknown): RateLimitStore {
  let current = state;
  return {
    consume(_key, algorithm, permits, now) {
      const step = algorithm.consume(current, permits, now);
      current = step.state;
      return step.decision;
    },
  };
}

/** Whether a limiter allowed to wait `maxWait` from `now` gets `permits` from `state`. */
async function acquiredWithin(
  algorithm: RateLimitAlgorithm,
  state: unknown,
  now: number,
  permits: number,
  maxWait: number,
): Promise<{ granted: boolean; at: number }> {
  const clock = new ManualClock(now);
  const limiter = rateLimiter(algorithm, { clock, store: storeFrom(state), maxWait });
  const granted = limiter.acquire('k', { permits }).then(
    () => true,
    () => false,
  );
  let at = -1;
  void granted.then(() => (at = clock.now()));
  await clock.runAllAsync();
  return { granted: await granted, at };
}

describe('rate-limit algorithms: GCRA equals its exact model', () => {
  it('property: whole limits and periods, at small and at epoch times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom(0, EPOCH),
        steps,
        (limit, periodMs, burst, start, sequence) => {
          const algorithm = gcra({ limit, periodMs, burst });
          const model = exact.gcra(limit, periodMs, burst);
          const store = new InMemoryRateLimitStore();
          let now = start;
          for (const { gap, permits } of sequence) {
            now += gap;
            const take = Math.min(permits, burst);
            expect(store.consume('k', algorithm, take, now)).toEqual(model(take, now));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('rateLimiter: maxWait accepts a permit that comes exactly at the limit', () => {
  it('property: waiting exactly retryAfter is granted at that instant; one ms less is refused at once', async () => {
    await fc.assert(
      fc.asyncProperty(algorithms, fc.constantFrom(0, EPOCH), steps, async (algorithm, start, sequence) => {
        let state: unknown;
        let now = start;
        for (const { gap, permits } of sequence) {
          now += gap;
          const take = Math.min(permits, algorithm.maxPermits);
          const step = algorithm.consume(state, take, now);
          const wait = step.decision.retryAfter;
          if (!step.decision.allowed) {
            expect(await acquiredWithin(algorithm, state, now, take, wait)).toEqual({
              granted: true,
              at: now + wait,
            });
            expect(await acquiredWithin(algorithm, state, now, take, wait - 1)).toEqual({
              granted: false,
              at: now,
            });
          }
          state = step.state;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('token bucket: maxWait of 58 ms takes the token due in 58 ms', async () => {
    const bucket = tokenBucket({ capacity: 1, refillPerSecond: 10 });
    const empty = bucket.consume(undefined, 1, 0).state;
    expect(await acquiredWithin(bucket, empty, 42, 1, 58)).toEqual({ granted: true, at: 100 });
  });
});
