// The reference model the rate-limit store contract compares a store with: the algorithm's own
// `consume` applied to state kept per key in a `Map`, as the rate limiter's documentation says
// every store must behave.
import type { SeededRandom } from '@keel/core';
import { assertEqual } from '@keel/core/testing';
import { gcra } from '../rateLimiter/gcra.js';
import type { RateLimitAlgorithm, RateLimitDecision } from '../rateLimiter/rateLimitAlgorithm.js';
import type { RateLimitStore } from '../rateLimiter/rateLimitStore.js';
import { slidingWindow } from '../rateLimiter/slidingWindow.js';
import { tokenBucket } from '../rateLimiter/tokenBucket.js';

/** An epoch time in ms (Nov 2023, on a whole second), where every contract test starts. */
export const BASE_TIME = 1_700_000_000_000;

/** One request to a store: `permits` for `key` at time `now`. */
export interface RateLimitCall {
  readonly key: string;
  readonly permits: number;
  readonly now: number;
}

/** An algorithm the package ships, with fixed numbers and a way to draw random ones. */
export interface ShippedAlgorithm {
  /** How test names call it. */
  readonly name: string;
  /** Fixed numbers with an allowance of 5 and a wait of 200 ms per permit once it is spent. */
  readonly fixed: RateLimitAlgorithm;
  /** The same algorithm with numbers drawn from `random` (small allowances, windows of 10 ms to 5 s). */
  draw(random: SeededRandom): RateLimitAlgorithm;
}

/** Every algorithm of `@keel/resilience`: what a store must run (by `kind`) exactly as `consume` does. */
export const SHIPPED_ALGORITHMS: readonly ShippedAlgorithm[] = [
  {
    name: 'token bucket',
    fixed: tokenBucket({ capacity: 5, refillPerSecond: 5 }),
    draw: (random) =>
      tokenBucket({ capacity: random.between(1, 10), refillPerSecond: 0.1 + random() * 49.9 }),
  },
  {
    name: 'sliding window',
    fixed: slidingWindow({ limit: 5, windowMs: 1_000 }),
    draw: (random) => slidingWindow({ limit: random.between(1, 10), windowMs: random.between(10, 5_000) }),
  },
  {
    name: 'GCRA',
    fixed: gcra({ limit: 5, periodMs: 1_000, burst: 5 }),
    draw: (random) =>
      gcra({
        limit: random.between(1, 10),
        periodMs: random.between(10, 5_000),
        burst: random() < 0.25 ? undefined : random.between(1, 5),
      }),
  },
];

/** The algorithm applied to state kept per key in a `Map`: the decisions every store must make. */
export class ReferenceModel {
  readonly #states = new Map<string, unknown>();

  constructor(private readonly algorithm: RateLimitAlgorithm) {}

  /** The decision for `call`, keeping the key's new state (written back after a refusal too). */
  consume({ key, permits, now }: RateLimitCall): RateLimitDecision {
    const { decision, state } = this.algorithm.consume(this.#states.get(key), permits, now);
    this.#states.set(key, state);
    return decision;
  }
}

/** How a failure message shows an algorithm: its kind and numbers. */
export function describeAlgorithm(algorithm: RateLimitAlgorithm): string {
  return `${algorithm.kind} ${JSON.stringify(algorithm.params)}`;
}

/** How a failure message shows a key: quoted, long keys shortened to their length and ends. */
function describeKey(key: string): string {
  if (key.length <= 40) return JSON.stringify(key);
  return `${JSON.stringify(key.slice(0, 12))}…${JSON.stringify(key.slice(-12))} (${key.length} chars)`;
}

/**
 * Sends `calls` to `store` one after another and asserts each decision equals the reference
 * model's for the same calls; returns the store's decisions.
 */
export async function assertSameDecisions(
  store: RateLimitStore,
  algorithm: RateLimitAlgorithm,
  calls: readonly RateLimitCall[],
  context = '',
): Promise<RateLimitDecision[]> {
  const model = new ReferenceModel(algorithm);
  const decisions: RateLimitDecision[] = [];
  for (const [index, call] of calls.entries()) {
    const decision = await store.consume(call.key, algorithm, call.permits, call.now);
    const where =
      `${context}call ${index + 1} of ${calls.length} (${call.permits} permits for ${describeKey(call.key)} ` +
      `at BASE_TIME + ${call.now - BASE_TIME} ms) under ${describeAlgorithm(algorithm)}`;
    assertEqual(decision, model.consume(call), `${where}: the store decided differently from the algorithm`);
    decisions.push(decision);
  }
  return decisions;
}

/** `count` calls of `permits` for each of `keys` in turn, all at `now`. */
export function roundRobin(
  keys: readonly string[],
  count: number,
  permits = 1,
  now = BASE_TIME,
): RateLimitCall[] {
  return Array.from({ length: count * keys.length }, (_, i) => ({
    key: keys[i % keys.length]!,
    permits,
    now,
  }));
}

/**
 * A random sequence of calls over a few keys: gaps mostly of 0 to 3 s, some of 0 ms (bursts) and
 * some negative (a caller whose clock lags a few ms behind the last one's), permits from 1 to
 * the most the algorithm grants at once.
 */
export function randomCalls(
  random: SeededRandom,
  algorithm: RateLimitAlgorithm,
  keyPrefix: string,
): RateLimitCall[] {
  const keys = ['a', 'b', 'c'].map((key) => `${keyPrefix}${key}`);
  const calls: RateLimitCall[] = [];
  let now = BASE_TIME;
  for (let step = random.between(5, 30); step > 0; step--) {
    const kind = random();
    now += kind < 0.15 ? 0 : kind < 0.3 ? -random.between(1, 50) : random.between(1, 3_000);
    calls.push({ key: random.pick(keys), permits: random.between(1, algorithm.maxPermits), now });
  }
  return calls;
}
