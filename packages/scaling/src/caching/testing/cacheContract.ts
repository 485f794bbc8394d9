import { contractRunner } from '@keel/core/testing';
import type { ContractOptions } from '@keel/core/testing';
import { defineBoundTests } from './cacheBoundsContract.js';
import { subjectSetup } from './cacheContractSetup.js';
import type { CacheContractFactory } from './cacheContractSetup.js';
import { defineDisposalTests } from './cacheDisposalContract.js';
import { defineEntryTests } from './cacheEntriesContract.js';
import { defineStatsTests } from './cacheStatsContract.js';
import { defineTtlTests } from './cacheTtlContract.js';

/**
 * The behaviour every synchronous `Cache` must share, as a test suite for any runner: run
 * it unchanged against `LruCache`, `WTinyLfuCache` or a cache of your own, so any of them can sit
 * behind a `MemoryCacheStore` or be swapped by config. It holds a cache to what the interface
 * promises whatever its eviction policy: what `get`, `peek`, `has`, `set`, `delete` and `clear`
 * return; keys compared with `SameValueZero`; never more than `max` entries (seeded random
 * operations); `onDispose` called exactly once per value that leaves, after it left, with the
 * reason (`set`, `delete`, `clear`, `evict`, `expire`); TTLs (`0` and `Infinity` never expire, a
 * set's ttl overrides the cache's, `remainingTtl`, `purgeStale`); the stats counters;
 * `keys`/`values`/`entries` listing the same live entries; and a negative or NaN ttl refused with
 * core's `ValidationError`. It does not check which entry a policy chooses to evict, but one
 * test runs the same operations on two caches from the factory and expects the same result, so
 * a policy that draws random numbers must get them seeded from the factory (core's
 * `seededRandom`, as below).
 *
 * Call it at the top level of a test file (or inside a `describe`). It registers its tests with
 * the test runner's global `describe` and `it` (Jest, Mocha, Bun, Vitest with `globals: true`);
 * under `node:test`, or Vitest without globals, pass the runner's functions as `options.runner`.
 * Failures are `node:assert` errors, which every runner reports.
 *
 * @param name - Names the suite: `<name> (Cache contract)`.
 * @param factory - Builds an empty cache per test from the suite's settings (`max`, maybe `ttl`,
 *   a manual `clock` and an `onDispose` recorder); pass each one through to the cache's options.
 * @param options - `runner`: the test runner's `describe`, `it`, `beforeEach`, `afterEach`.
 * @throws {ValidationError} (from `@keel/core`) when no runner is given and no globals exist.
 *
 * @example
 * ```ts
 * // With test globals (Jest, Mocha, Vitest with globals: true):
 * cacheContract('LruCache', (settings) => new LruCache(settings));
 *
 * // Under node:test:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * cacheContract('WTinyLfuCache', (settings) => new WTinyLfuCache({ ...settings, random: seededRandom(1) }), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function cacheContract(name: string, factory: CacheContractFactory, options?: ContractOptions): void {
  const runner = contractRunner(options);
  const setup = subjectSetup(factory);
  runner.describe(`${name} (Cache contract)`, () => {
    runner.describe('entries', () => defineEntryTests(runner, setup));
    runner.describe('disposal', () => defineDisposalTests(runner, setup));
    runner.describe('bounds', () => defineBoundTests(runner, setup));
    runner.describe('time to live', () => defineTtlTests(runner, setup, factory));
    runner.describe('stats', () => defineStatsTests(runner, setup));
  });
}
