import { noopLogger, systemClock, throwIfAborted } from '@keel/core';
import type { Clock, Disposer, Logger, Policy, PolicyContext } from '@keel/core';
import { RateLimitedError } from '../errors/errors.js';
import { policyEmitter } from '../internal/events.js';
import { nonNegative, relation, validateOptions } from '../internal/options.js';
import { contextFor } from '../internal/signal.js';
import type { RateLimitAlgorithm, RateLimitDecision } from './rateLimitAlgorithm.js';
import { InMemoryRateLimitStore } from './rateLimitStore.js';
import type { RateLimitStore } from './rateLimitStore.js';

/** Options of {@link rateLimiter}. */
export interface RateLimiterOptions {
  /** Where state lives; share a Redis store between processes for a global limit. @default a new InMemoryRateLimitStore */
  store?: RateLimitStore;
  /** Prefix of every key in the store, so limiters can share one store. @default 'rate-limit' */
  name?: string;
  /** How long a call may wait for permits before it is refused, in ms. @default 0 (refuse at once) */
  maxWait?: number;
  /** Where time comes from. @default systemClock */
  clock?: Clock;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger;
}

/** Options of {@link RateLimiterPolicy.acquire}. */
export interface AcquireOptions {
  /** Permits to take. @default 1 */
  permits?: number;
  /** Stops a wait (see `maxWait`). */
  signal?: AbortSignal;
}

/** Payload of {@link RateLimiterPolicy.onReject}. */
export interface RateLimitRejectEvent {
  readonly key: string;
  readonly retryAfter: number;
}

/** The partition used by `execute` when no key is given. */
export const DEFAULT_RATE_LIMIT_KEY = 'default';

/**
 * Limits the rate of calls per key (tenant, user, route …). `execute` uses one default key;
 * {@link RateLimiterPolicy.forKey} gives a core `Policy` for one partition.
 */
export class RateLimiterPolicy implements Policy {
  readonly #algorithm: RateLimitAlgorithm;
  readonly #store: RateLimitStore;
  readonly #name: string;
  readonly #maxWait: number;
  readonly #clock: Clock;
  readonly #events;

  /** Prefer {@link rateLimiter}. @throws ValidationError on bad options. */
  constructor(algorithm: RateLimitAlgorithm<any>, options: RateLimiterOptions = {}) {
    validateOptions('rateLimiter', [
      relation(
        'algorithm',
        typeof algorithm?.consume === 'function',
        'must come from tokenBucket(), slidingWindow() or gcra().',
      ),
      nonNegative('maxWait', options.maxWait),
      relation(
        'store',
        options.store === undefined || typeof options.store.consume === 'function',
        'must implement RateLimitStore.',
      ),
    ]);
    this.#algorithm = algorithm;
    this.#store = options.store ?? new InMemoryRateLimitStore();
    this.#name = options.name ?? 'rate-limit';
    this.#maxWait = options.maxWait ?? 0;
    this.#clock = options.clock ?? systemClock;
    this.#events = policyEmitter<{ reject: RateLimitRejectEvent }>(
      'rateLimiter',
      options.logger ?? noopLogger,
    );
  }

  /** Listens to refusals. @returns a disposer. */
  onReject(listener: (event: RateLimitRejectEvent) => void): Disposer {
    return this.#events.on('reject', listener);
  }

  /**
   * Asks for permits without running anything or throwing on refusal (never waits).
   * @throws ValidationError when more permits are asked than the algorithm can ever grant.
   */
  async tryAcquire(key: string = DEFAULT_RATE_LIMIT_KEY, permits = 1): Promise<RateLimitDecision> {
    validateOptions('rateLimiter.tryAcquire', [
      relation(
        'permits',
        Number.isInteger(permits) && permits >= 1 && permits <= this.#algorithm.maxPermits,
        `must be an integer from 1 to ${this.#algorithm.maxPermits} (got ${permits}).`,
      ),
    ]);
    return this.#store.consume(`${this.#name}:${key}`, this.#algorithm, permits, this.#clock.now());
  }

  /**
   * Takes permits, waiting up to `maxWait` for them.
   * @throws RateLimitedError (with `retryAfter`) when they cannot be had in time; the abort reason when `signal` aborts.
   */
  async acquire(
    key: string = DEFAULT_RATE_LIMIT_KEY,
    options: AcquireOptions = {},
  ): Promise<RateLimitDecision> {
    throwIfAborted(options.signal);
    const deadline = this.#clock.now() + this.#maxWait;
    for (;;) {
      const decision = await this.tryAcquire(key, options.permits ?? 1);
      if (decision.allowed) return decision;
      if (this.#clock.now() + decision.retryAfter > deadline) {
        this.#events.emit('reject', { key, retryAfter: decision.retryAfter });
        throw new RateLimitedError(key, decision.retryAfter);
      }
      await this.#clock.sleep(decision.retryAfter, options.signal);
    }
  }

  /** Runs `fn` under the default key. @throws RateLimitedError when refused. */
  execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    return this.executeFor(DEFAULT_RATE_LIMIT_KEY, fn, signal);
  }

  /** Runs `fn` under `key`'s limit. @throws RateLimitedError when refused. */
  async executeFor<TResult>(
    key: string,
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    if (signal === undefined) await this.acquire(key);
    else await this.acquire(key, { signal });
    return fn(contextFor(signal));
  }

  /** A core `Policy` limiting calls under `key`. */
  forKey(key: string): Policy {
    return Object.freeze({
      execute: <TResult>(
        fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
        signal?: AbortSignal,
      ) => this.executeFor(key, fn, signal),
    });
  }
}

/**
 * Creates a {@link RateLimiterPolicy}.
 *
 * @param algorithm `tokenBucket(...)`, `slidingWindow(...)` or `gcra(...)`.
 * @throws ValidationError on bad options.
 * @example
 * ```ts
 * const perTenant = rateLimiter(gcra({ limit: 50, periodMs: 1_000 }));
 * await perTenant.executeFor(tenantId, () => handle(request));
 * ```
 */
export function rateLimiter(
  algorithm: RateLimitAlgorithm<any>,
  options: RateLimiterOptions = {},
): RateLimiterPolicy {
  return new RateLimiterPolicy(algorithm, options);
}
