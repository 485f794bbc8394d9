import assert from 'node:assert/strict';
import { seededRandom } from '@keel/core';
import { assertEqual, contractRunner } from '@keel/core/testing';
import type { ContractOptions, ContractRunner } from '@keel/core/testing';
import { gcra } from '../rateLimiter/gcra.js';
import type { RateLimitStore } from '../rateLimiter/rateLimitStore.js';
import { defineKeyTests } from './rateLimitKeysContract.js';
import {
  assertSameDecisions,
  BASE_TIME,
  describeAlgorithm,
  randomCalls,
  ReferenceModel,
  roundRobin,
  SHIPPED_ALGORITHMS,
} from './rateLimitModel.js';
import type { ShippedAlgorithm } from './rateLimitModel.js';

/**
 * Makes a new, empty store for one test of {@link rateLimitStoreContract}; on a shared server,
 * one with a key prefix of its own, so no test sees another's keys.
 *
 * @example
 * ```ts
 * let stores = 0;
 * const createStore: RateLimitStoreFactory = () =>
 *   new RedisRateLimitStore(redis, { prefix: `test:${stores++}:` });
 * ```
 */
export type RateLimitStoreFactory = () => RateLimitStore | Promise<RateLimitStore>;

/** The seed of the random call sequences: the same sequences on every run and every store. */
const SEED = 20_261_202;
/** Random sequences per algorithm, each with its own numbers and 5 to 30 calls. */
const RUNS = 25;
/** Callers racing for one key in the concurrency tests. */
const RACERS = 50;

/**
 * The behaviour every {@link RateLimitStore} must have, as a test suite for any runner. For each
 * algorithm of `@keel/resilience` (`tokenBucket`, `slidingWindow`, `gcra`) a store must make the
 * decisions the algorithm's own `consume` makes on state kept per key (the reference model the
 * suite compares with, on seeded random sequences, lagging clocks included), keep keys apart
 * (`__proto__`, `constructor`, long and unicode keys too), take nothing for a refused request,
 * grant a request retried after `retryAfter`, and never grant more than the limit to concurrent
 * callers of one key. Each test calls `createStore` for a new store; for a shared server, give
 * each store a key prefix of its own.
 *
 * Decisions follow the `now` passed to `consume`: a store that reads its own clock (such as the
 * Redis store with `time: 'redis'`) is outside this contract.
 *
 * It registers its tests with the test runner's global `describe` and `it` (Jest, Mocha, Bun,
 * Vitest with `globals: true`); under `node:test`, or Vitest without globals, pass the runner's
 * functions as `options.runner`. Failures are `node:assert` errors, which every runner reports.
 *
 * @param name - Names the suite: `<name> (RateLimitStore contract)`.
 * @param createStore - Returns a new, empty store for each test.
 * @param options - `runner`: the test runner's `describe`, `it`, `beforeEach`, `afterEach`.
 * @throws {ValidationError} (from `@keel/core`) when no runner is given and no globals exist.
 *
 * @example
 * ```ts
 * // With test globals (Jest, Mocha, Vitest with globals: true):
 * rateLimitStoreContract('InMemoryRateLimitStore', () => new InMemoryRateLimitStore());
 *
 * // Under node:test, on a shared server with a prefix per store:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * let stores = 0;
 * rateLimitStoreContract('MyRateLimitStore', () => new MyRateLimitStore({ prefix: `test${stores++}:` }), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function rateLimitStoreContract(
  name: string,
  createStore: RateLimitStoreFactory,
  options?: ContractOptions,
): void {
  const runner = contractRunner(options);
  runner.describe(`${name} (RateLimitStore contract)`, () => {
    for (const algorithm of SHIPPED_ALGORITHMS) {
      runner.describe(algorithm.name, () => defineAlgorithmTests(runner, createStore, algorithm));
    }
    runner.describe('keys', () => defineKeyTests(runner, createStore));
  });
}

function defineAlgorithmTests(
  { it }: ContractRunner,
  createStore: RateLimitStoreFactory,
  shipped: ShippedAlgorithm,
): void {
  const algorithm = shipped.fixed;
  const limit = algorithm.maxPermits;

  it(`makes the ${shipped.name} decisions for any sequence of calls, clocks lagging too`, async () => {
    const store = await createStore();
    const random = seededRandom(SEED);
    for (let run = 0; run < RUNS; run++) {
      const drawn = shipped.draw(random);
      const calls = randomCalls(random, drawn, `run${run}-`);
      await assertSameDecisions(store, drawn, calls, `seed ${SEED}, run ${run + 1}, `);
    }
  });

  it(`takes nothing for a refused ${shipped.name} request`, async () => {
    const store = await createStore();
    const taken = await store.consume('user-1', algorithm, limit - 1, BASE_TIME);
    assert.equal(taken.remaining, 1, `taking ${limit - 1} of ${limit} permits should leave 1`);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const refused = await store.consume('user-1', algorithm, 2, BASE_TIME);
      assert.equal(refused.allowed, false, `2 permits were granted where 1 was left (attempt ${attempt})`);
      assert.equal(refused.remaining, 1, `a refused request took permits (attempt ${attempt})`);
    }
    const last = await store.consume('user-1', algorithm, 1, BASE_TIME);
    assertEqual(last, { allowed: true, remaining: 0, retryAfter: 0 }, 'the permit left after refusals');
    const first = await store.consume('user-1', algorithm, 1, BASE_TIME);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const again = await store.consume('user-1', algorithm, limit, BASE_TIME);
      assert.equal(again.allowed, false, `${limit} permits were granted from an empty allowance`);
    }
    const after = await store.consume('user-1', algorithm, 1, BASE_TIME);
    assert.equal(after.retryAfter, first.retryAfter, 'refused requests made the wait for a permit longer');
  });

  it(`grants a ${shipped.name} request retried after its retryAfter, not a ms before`, async () => {
    const store = await createStore();
    for (let permits = 1; permits <= limit; permits++) {
      const key = `user-${permits}`;
      await store.consume(key, algorithm, limit, BASE_TIME);
      const refused = await store.consume(key, algorithm, permits, BASE_TIME);
      assert.equal(refused.allowed, false, `${permits} permits were granted from an empty allowance`);
      const wait = refused.retryAfter;
      assert.ok(wait >= 1, `a refusal of ${permits} permits said to retry after ${wait} ms`);
      if (wait > 1) {
        const early = await store.consume(key, algorithm, permits, BASE_TIME + wait - 1);
        assert.equal(
          early.allowed,
          false,
          `${permits} permits were granted 1 ms before retryAfter (${wait} ms)`,
        );
      }
      const retried = await store.consume(key, algorithm, permits, BASE_TIME + wait);
      assert.equal(
        retried.allowed,
        true,
        `${permits} permits were refused after waiting retryAfter (${wait} ms)`,
      );
    }
  });

  it(`never grants more than the ${shipped.name} limit to ${RACERS} concurrent callers of one key`, async () => {
    const store = await createStore();
    const decisions = await Promise.all(
      Array.from({ length: RACERS }, () => store.consume('shared', algorithm, 1, BASE_TIME)),
    );
    const granted = decisions.filter((decision) => decision.allowed);
    assert.equal(
      granted.length,
      limit,
      `${granted.length} of ${RACERS} concurrent callers were granted a permit under ${describeAlgorithm(algorithm)}, whose limit is ${limit}`,
    );
    // Atomic read-modify-write: each grant saw the one before it, so each left a different count.
    const left = granted.map((decision) => decision.remaining).sort((a, b) => a - b);
    assertEqual(left, [...Array(limit).keys()], 'the permits left after each concurrent grant');
    const model = new ReferenceModel(algorithm);
    for (const call of roundRobin(['shared'], RACERS)) model.consume(call);
    const next = await store.consume('shared', algorithm, 1, BASE_TIME);
    assertEqual(
      next,
      model.consume({ key: 'shared', permits: 1, now: BASE_TIME }),
      'the next call after the race',
    );
  });

  if (shipped.name === 'GCRA') {
    it('grants a gcra burst of thousands of permits per ms exactly, as the algorithm does', async () => {
      const store = await createStore();
      // 1,024 permits per ms: a comparison slack of whole intervals would grant over the burst.
      const busy = gcra({ limit: 1_024, periodMs: 1 });
      const decisions = await assertSameDecisions(store, busy, roundRobin(['busy'], 1_100), 'high rate, ');
      const granted = decisions.filter((decision) => decision.allowed).length;
      assert.equal(granted, 1_024, `${granted} permits were granted at one instant from a burst of 1,024`);
    });
  }
}
