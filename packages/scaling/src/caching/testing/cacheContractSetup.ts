import assert from 'node:assert/strict';
import { ManualClock } from '@keel/core';
import type { Clock } from '@keel/core';
import type { Cache, DisposeListener, DisposeReason } from '../cache.js';

/** The settings {@link cacheContract} builds each cache under test with. */
export interface CacheContractSettings {
  /** The most entries the cache may hold: an integer >= 1. */
  readonly max: number;
  /** The cache's default time to live in ms (`0` or `Infinity`: never); left out when a test needs none. */
  readonly ttl?: number | undefined;
  /** The clock the suite moves; the cache must read time from it. */
  readonly clock: Clock;
  /** The suite's recorder of disposals; the cache must call it as its `onDispose`. */
  readonly onDispose: DisposeListener<unknown, unknown>;
}

/**
 * Builds the cache under test, empty, from `settings`: pass each one through to the cache's
 * options, e.g. `(settings) => new LruCache(settings)`.
 */
export type CacheContractFactory = (settings: CacheContractSettings) => Cache<unknown, unknown>;

/** One call of `onDispose`, as the suite recorded it. */
export interface Disposal {
  readonly value: unknown;
  readonly key: unknown;
  readonly reason: DisposeReason;
}

/** A cache under test, the clock it reads and what it disposed so far. */
export interface Subject {
  readonly cache: Cache<unknown, unknown>;
  readonly clock: ManualClock;
  /** Every disposal, in order; tests may empty it. */
  readonly disposed: Disposal[];
  /** Calls `listener` inside each later `onDispose` call, after recording it. */
  watch(listener: (disposal: Disposal) => void): void;
}

/** What a test asks of its cache: the bound and, when it needs one, a default TTL. */
export interface SubjectSettings {
  readonly max: number;
  readonly ttl?: number;
}

/** Builds a fresh {@link Subject} for one test. */
export type Setup = (settings: SubjectSettings) => Subject;

/** Where the suite's clocks start: well past 0, so no expiry time can be mistaken for "never". */
export const CONTRACT_START = 1_000_000;

/** A {@link Setup} over the user's factory: a new clock and disposal record per cache. */
export function subjectSetup(factory: CacheContractFactory): Setup {
  return ({ max, ttl }) => {
    const clock = new ManualClock(CONTRACT_START);
    const disposed: Disposal[] = [];
    const watchers: ((disposal: Disposal) => void)[] = [];
    const onDispose: DisposeListener<unknown, unknown> = (value, key, reason) => {
      const disposal = { value, key, reason };
      disposed.push(disposal);
      for (const watcher of watchers) watcher(disposal);
    };
    const cache = factory(ttl === undefined ? { max, clock, onDispose } : { max, ttl, clock, onDispose });
    return { cache, clock, disposed, watch: (listener) => void watchers.push(listener) };
  };
}

/** The disposals of `reason`, as `[key, value]` pairs in the order they happened. */
export function disposalsOf(disposed: readonly Disposal[], reason: DisposeReason): [unknown, unknown][] {
  return disposed.filter((disposal) => disposal.reason === reason).map(({ key, value }) => [key, value]);
}

/** Asserts that `disposed` holds exactly `expected` (as `[key, value, reason]`), in that order. */
export function assertDisposed(
  disposed: readonly Disposal[],
  expected: readonly [unknown, unknown, DisposeReason][],
  message: string,
): void {
  const actual = disposed.map(({ key, value, reason }) => [key, value, reason]);
  assert.deepEqual(actual, expected, message);
}

/** The cache's live entries sorted by key, so caches with different retention orders compare. */
export function sortedEntries(cache: Cache<unknown, unknown>): [unknown, unknown][] {
  return [...cache.entries()].sort(([a], [b]) => String(a).localeCompare(String(b)));
}
