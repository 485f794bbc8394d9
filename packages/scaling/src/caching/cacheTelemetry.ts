import { recordMetric, telemetryEnabled } from '@keel/core';
import type { Attributes, Clock } from '@keel/core';
import {
  CACHE_EVICTIONS,
  CACHE_HIT_RATIO,
  CACHE_HITS,
  CACHE_LOAD_DURATION,
  CACHE_LOADS,
  CACHE_MISSES,
  WRITE_BEHIND_FLUSH_DURATION,
  WRITE_BEHIND_FLUSHED,
  WRITE_BEHIND_FLUSHES,
  WRITE_BEHIND_PENDING,
} from '../internal/telemetry.js';

/** The layer a cache metric comes from (`keel.cache.kind`), so layered caches are not summed twice. */
export type CacheKind = 'lru' | 'w-tinylfu' | 'cache-aside' | 'write-behind';

/** The default `name` of caches, cache-aside, write-behind, balancers and autoscalers. */
export const DEFAULT_INSTANCE_NAME = 'default';

function attributes(name: string, kind: CacheKind, extra: Attributes = {}): Attributes {
  return Object.freeze({ 'keel.cache.name': name, 'keel.cache.kind': kind, ...extra });
}

/**
 * Records the metrics of one cache. Attribute objects are built once; each method is a single
 * check when no telemetry is installed.
 */
export class CacheMeter {
  readonly #base: Attributes;
  readonly #capacity: Attributes;
  readonly #expired: Attributes;
  readonly #success: Attributes;
  readonly #failure: Attributes;

  constructor(name: string, kind: CacheKind) {
    this.#base = attributes(name, kind);
    this.#capacity = attributes(name, kind, { 'keel.cache.eviction.reason': 'capacity' });
    this.#expired = attributes(name, kind, { 'keel.cache.eviction.reason': 'expired' });
    this.#success = attributes(name, kind, { 'keel.outcome': 'success' });
    this.#failure = attributes(name, kind, { 'keel.outcome': 'failure' });
  }

  /** A read hit; `hits` and `misses` are the cache's counters after it. */
  hit(hits: number, misses: number): void {
    if (!telemetryEnabled()) return;
    recordMetric(CACHE_HITS, 1, this.#base);
    recordMetric(CACHE_HIT_RATIO, hits / (hits + misses), this.#base);
  }

  /** A read miss; `hits` and `misses` are the cache's counters after it. */
  miss(hits: number, misses: number): void {
    if (!telemetryEnabled()) return;
    recordMetric(CACHE_MISSES, 1, this.#base);
    recordMetric(CACHE_HIT_RATIO, hits / (hits + misses), this.#base);
  }

  /** An entry left to respect a bound. */
  evicted(): void {
    recordMetric(CACHE_EVICTIONS, 1, this.#capacity);
  }

  /** An entry left because its TTL ran out. */
  expired(): void {
    recordMetric(CACHE_EVICTIONS, 1, this.#expired);
  }

  /** A load from the source of truth ended after `ms` milliseconds. */
  loaded(ok: boolean, ms: number): void {
    if (!telemetryEnabled()) return;
    const outcome = ok ? this.#success : this.#failure;
    recordMetric(CACHE_LOADS, 1, outcome);
    recordMetric(CACHE_LOAD_DURATION, ms / 1000, outcome);
  }
}

/** Records the metrics of one write-behind buffer. */
export class WriteBehindMeter {
  readonly #base: Attributes;
  readonly #success: Attributes;
  readonly #failure: Attributes;
  readonly #clock: Clock;

  constructor(name: string, clock: Clock) {
    this.#base = attributes(name, 'write-behind');
    this.#success = attributes(name, 'write-behind', { 'keel.outcome': 'success' });
    this.#failure = attributes(name, 'write-behind', { 'keel.outcome': 'failure' });
    this.#clock = clock;
  }

  /** How many accepted writes wait for a flush now. */
  pending(count: number): void {
    recordMetric(WRITE_BEHIND_PENDING, count, this.#base);
  }

  /** Runs one batch flush, recording its outcome, size and duration. */
  async flush(size: number, run: () => Promise<void>): Promise<void> {
    if (!telemetryEnabled()) return run();
    const started = this.#clock.now();
    try {
      await run();
    } catch (error) {
      this.#flushed(this.#failure, started);
      throw error;
    }
    this.#flushed(this.#success, started);
    recordMetric(WRITE_BEHIND_FLUSHED, size, this.#base);
  }

  #flushed(outcome: Attributes, started: number): void {
    recordMetric(WRITE_BEHIND_FLUSHES, 1, outcome);
    recordMetric(WRITE_BEHIND_FLUSH_DURATION, (this.#clock.now() - started) / 1000, outcome);
  }
}
