import { assertOptions, optionInteger, withDefaults } from '@keel/core';
import type { RateLimitAlgorithm, RateLimitDecision } from './rateLimitAlgorithm.js';

/**
 * Where rate-limit state lives. `consume` must be atomic per key: read the state, apply the
 * algorithm and write it back with no other request in between. The in-memory store is
 * synchronous; a shared store (e.g. Redis with a Lua script per `algorithm.kind`) is async.
 *
 * A limiter asks the store only when a caller arrives with nobody waiting, and for the oldest
 * waiter when the `retryAfter` the store last reported has passed: the decision's `retryAfter`
 * must therefore be the wait after which the request would be granted, not a polling hint.
 */
export interface RateLimitStore {
  /** Takes `permits` for `key` under `algorithm` at time `now` (epoch ms). */
  consume(
    key: string,
    algorithm: RateLimitAlgorithm,
    permits: number,
    now: number,
  ): RateLimitDecision | Promise<RateLimitDecision>;
}

/** Options of {@link InMemoryRateLimitStore}. */
export interface InMemoryRateLimitStoreOptions {
  /** Keys kept; the least recently used is forgotten beyond it (it restarts with a full allowance); `Infinity` keeps all. @default 10_000 */
  maxKeys?: number | undefined;
}

/** The defaults of {@link InMemoryRateLimitStoreOptions}. */
const STORE_DEFAULTS = Object.freeze({ maxKeys: 10_000 });

/** A rate-limit store in this process's memory, bounded by `maxKeys` (least recently used out). */
export class InMemoryRateLimitStore implements RateLimitStore {
  readonly #states = new Map<string, unknown>();
  readonly #maxKeys: number;

  /** @throws ValidationError when `maxKeys` is not an integer >= 1 or `Infinity`. */
  constructor(options?: InMemoryRateLimitStoreOptions) {
    const { maxKeys } = withDefaults(STORE_DEFAULTS, options);
    assertOptions('InMemoryRateLimitStore', { maxKeys: optionInteger(maxKeys, { min: 1, infinity: true }) });
    this.#maxKeys = maxKeys;
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#states.size;
  }

  /**
   * Applies `algorithm` to `key`'s state synchronously and stores the new state. State is kept
   * per algorithm kind and key, as a shared store keeps it: two limiters that use one key with
   * different algorithms never read each other's state.
   */
  consume(key: string, algorithm: RateLimitAlgorithm, permits: number, now: number): RateLimitDecision {
    const slot = `${algorithm.kind}:${key}`;
    const previous = this.#states.get(slot);
    const { decision, state } = algorithm.consume(previous, permits, now);
    // Re-insert to mark the key as most recently used.
    this.#states.delete(slot);
    this.#states.set(slot, state);
    if (this.#states.size > this.#maxKeys) this.#states.delete(this.#states.keys().next().value!);
    return decision;
  }

  /** Forgets every key. */
  clear(): void {
    this.#states.clear();
  }
}
