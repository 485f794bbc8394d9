// Callers whose clocks disagree by a few ms share one bucket (several processes on one Redis
// key, or limiters with their own clocks on one store). Time must never move backwards in a
// key's state, or each lagging caller hands the next one the same milliseconds of refill again.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gcra } from './gcra.js';
import type { RateLimitAlgorithm } from './rateLimitAlgorithm.js';
import { InMemoryRateLimitStore } from './rateLimitStore.js';
import { slidingWindow } from './slidingWindow.js';
import { tokenBucket } from './tokenBucket.js';

const EPOCH = Date.parse('2026-12-01T00:00:00Z');

/** Two callers `skew` ms apart take one permit each, alternately, every `every` ms for `ms`. */
function admittedWithSkew(algorithm: RateLimitAlgorithm, skew: number, ms: number, every = 1): number {
  const store = new InMemoryRateLimitStore();
  let admitted = 0;
  for (let t = 0; t < ms; t += every) {
    const lagging = (t / every) % 2 === 1;
    if (store.consume('shared', algorithm, 1, EPOCH + t - (lagging ? skew : 0)).allowed) admitted++;
  }
  return admitted;
}

describe('rate limits under clock skew', () => {
  it('token bucket: two callers 5 ms apart get the limit, not a multiple of it', () => {
    const bucket = tokenBucket({ capacity: 10, refillPerSecond: 10 });
    const inSync = admittedWithSkew(bucket, 0, 10_000);
    // 10 s at 10 per second plus the burst of 10.
    expect(inSync).toBeGreaterThanOrEqual(109);
    expect(inSync).toBeLessThanOrEqual(110);
    // 5 ms of skew is worth 0.05 of a token, once: never a second permit, let alone 6x.
    expect(admittedWithSkew(bucket, 5, 10_000)).toBeLessThanOrEqual(inSync + 1);
  });

  it('token bucket: a lagging caller keeps the stored time and is not refilled for the lag', () => {
    const bucket = tokenBucket({ capacity: 5, refillPerSecond: 1_000 });
    const ahead = bucket.consume(undefined, 5, 1_000);
    expect(ahead.state).toEqual({ tokens: 0, updatedAt: 1_000 });
    const behind = bucket.consume(ahead.state, 1, 995);
    expect(behind.state).toEqual({ tokens: 0, updatedAt: 1_000 });
    // It waits for the bucket's time plus one token: 5 ms of lag and 1 ms of refill.
    expect(behind.decision).toEqual({ allowed: false, remaining: 0, retryAfter: 6 });
    // The caller that is ahead is refilled only for the time since 1 000.
    expect(bucket.consume(behind.state, 1, 1_001).decision.allowed).toBe(true);
    expect(bucket.consume(behind.state, 2, 1_001).decision.allowed).toBe(false);
  });

  it('sliding window: a lagging caller never moves the window back', () => {
    const window = slidingWindow({ limit: 2, windowMs: 1_000 });
    const ahead = window.consume(undefined, 2, 2_000);
    const behind = window.consume(ahead.state, 1, 1_990);
    expect(behind.state).toEqual({ start: 2_000, current: 2, previous: 0 });
    expect(behind.decision.allowed).toBe(false);
  });

  it('gcra: a lagging caller never moves the arrival time back', () => {
    const algorithm = gcra({ limit: 10, periodMs: 1_000, burst: 1 });
    const ahead = algorithm.consume(undefined, 1, 1_000);
    const behind = algorithm.consume(ahead.state, 1, 990);
    expect(behind.state).toBe(ahead.state);
    expect(behind.decision).toMatchObject({ allowed: false, retryAfter: 110 });
  });

  it.each([
    ['token bucket', tokenBucket({ capacity: 4, refillPerSecond: 50 }), 4, 50],
    ['gcra', gcra({ limit: 50, periodMs: 1_000, burst: 4 }), 4, 50],
  ] as const)(
    'property: %s admits at most burst + rate × (time + skew) whatever the skew',
    (_, algorithm, burst, perSecond) => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 7 }), (skew, every) => {
          const ms = 3_000;
          const bound = burst + Math.floor(((ms + skew) * perSecond) / 1_000) + 1;
          expect(admittedWithSkew(algorithm, skew, ms, every)).toBeLessThanOrEqual(bound);
        }),
        { numRuns: 60 },
      );
    },
  );
});
