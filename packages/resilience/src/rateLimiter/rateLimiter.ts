import {
  assertOptions,
  noopLogger,
  optionClock,
  optionInteger,
  optionLogger,
  optionNumber,
  optionObject,
  optionRule,
  optionString,
  raceAbort,
  recordMetric,
  systemClock,
  telemetryEnabled,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Logger, Policy, PolicyContext } from '@keel/core';
import { RateLimitedError } from '../errors/errors.js';
import { policyEmitter } from '../internal/events.js';
import { Executor, unwrap } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { RESILIENCE_METRICS } from '../internal/telemetry.js';
import { contextFor } from '../internal/signal.js';
import { isPromiseLike, PermitQueue } from './permitQueue.js';
import type { RateLimitAlgorithm, RateLimitDecision } from './rateLimitAlgorithm.js';
import { InMemoryRateLimitStore } from './rateLimitStore.js';
import type { RateLimitStore } from './rateLimitStore.js';

/** Options of {@link rateLimiter}. */
export interface RateLimiterOptions {
  /** Where state lives; share a Redis store between processes for a global limit. @default a new InMemoryRateLimitStore */
  store?: RateLimitStore | undefined;
  /**
   * Prefix of every key in the store, so limiters can share one store; also names the limiter
   * in telemetry (`keel.policy.name`) and outcome events.
   * @default 'rate-limit'
   */
  name?: string | undefined;
  /**
   * How long a call may wait for permits before it is refused, in ms; a permit that comes
   * exactly at the limit is granted. `Infinity` waits as long as it takes (or until aborted).
   * @default 0 (refuse at once)
   */
  maxWait?: number | undefined;
  /** Where time comes from. @default systemClock */
  clock?: Clock | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
}

/** Options of {@link RateLimiterPolicy.acquire}. */
export interface AcquireOptions {
  /** Permits to take. @default 1 */
  permits?: number | undefined;
  /**
   * Stops a wait (see `maxWait`): the caller leaves the queue at once and gets the abort reason.
   * Permits a remote store grants to a request already on its way when the caller aborts are spent.
   */
  signal?: AbortSignal | undefined;
}

/** Payload of {@link RateLimiterPolicy.onReject}. */
export interface RateLimitRejectEvent {
  readonly key: string;
  readonly retryAfter: number;
}

/** The partition used by `execute` when no key is given. */
export const DEFAULT_RATE_LIMIT_KEY = 'default';

/** The defaults of {@link RateLimiterOptions} (the store is created per limiter). */
const LIMITER_DEFAULTS = Object.freeze({
  name: 'rate-limit',
  maxWait: 0,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
});

function checkAlgorithm(algorithm: unknown): string | undefined {
  const kind = 'a RateLimitAlgorithm (from tokenBucket(), slidingWindow() or gcra())';
  return (
    optionObject(algorithm, kind, ['consume'], true) ??
    optionRule(
      Number.isInteger((algorithm as RateLimitAlgorithm).maxPermits) &&
        (algorithm as RateLimitAlgorithm).maxPermits >= 1,
      `must be ${kind}: its maxPermits must be an integer >= 1.`,
    )
  );
}

/**
 * Limits the rate of calls per key (tenant, user, route …). `execute` uses one default key;
 * {@link RateLimiterPolicy.forKey} gives a core `Policy` for one partition.
 *
 * Callers that wait (`maxWait` > 0) queue per key, oldest first: a caller that finds others
 * waiting joins the end of the queue without asking the store; only the oldest waiter asks,
 * once the `retryAfter` the store reported has passed, and each grant wakes the next waiter at
 * once. So waiting never polls, a later caller never overtakes an earlier one in this limiter,
 * and a shared store (Redis) sees one request per wake-up, not one per waiter.
 */
export class RateLimiterPolicy implements Policy {
  readonly #algorithm: RateLimitAlgorithm;
  readonly #store: RateLimitStore;
  readonly #name: string;
  readonly #maxWait: number;
  readonly #clock: Clock;
  readonly #events;
  readonly #executor: Executor;
  readonly #queues = new Map<string, PermitQueue>();

  /** Prefer {@link rateLimiter}. @throws ValidationError on bad options. */
  constructor(algorithm: RateLimitAlgorithm<any>, options?: RateLimiterOptions) {
    const settings = withDefaults(LIMITER_DEFAULTS, options);
    assertOptions('rateLimiter', {
      algorithm: checkAlgorithm(algorithm),
      store: optionObject(settings.store, 'a RateLimitStore', ['consume']),
      name: optionString(settings.name),
      maxWait: optionNumber(settings.maxWait, { min: 0, infinity: true }),
      clock: optionClock(settings.clock, ['now', 'setTimeout']),
      logger: optionLogger(settings.logger, { uses: ['error'] }),
    });
    this.#algorithm = algorithm;
    this.#store = settings.store ?? new InMemoryRateLimitStore();
    this.#name = settings.name;
    this.#maxWait = settings.maxWait;
    this.#clock = settings.clock;
    this.#events = policyEmitter<{ reject: RateLimitRejectEvent }>('rateLimiter', settings.logger);
    this.#executor = new Executor({
      kind: 'rateLimiter',
      name: settings.name,
      clock: settings.clock,
      logger: settings.logger,
    });
  }

  /** Listens to every admitted call's outcome (with its duration, wait excluded) and every refusal. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /** Listens to refusals. @returns a disposer. */
  onReject(listener: (event: RateLimitRejectEvent) => void): Disposer {
    return this.#events.on('reject', listener);
  }

  /** Callers waiting for permits under `key` now. */
  waiting(key: string = DEFAULT_RATE_LIMIT_KEY): number {
    return this.#queues.get(this.#storeKey(key))?.size ?? 0;
  }

  /**
   * Asks for permits without running anything or throwing on refusal (never waits). While
   * callers wait for `key`, it is refused without asking the store (`retryAfter`: when the
   * oldest waiter expects its permits), so a caller that never waits cannot starve those that do.
   * @throws ValidationError when more permits are asked than the algorithm can ever grant.
   */
  async tryAcquire(key: string = DEFAULT_RATE_LIMIT_KEY, permits = 1): Promise<RateLimitDecision> {
    this.#checkPermits('rateLimiter.tryAcquire', permits);
    const queue = this.#queues.get(this.#storeKey(key));
    const decision =
      queue !== undefined && queue.size > 0
        ? { allowed: false, remaining: 0, retryAfter: queue.retryAfter }
        : await this.#consume(key, permits);
    this.#decided(decision.allowed);
    return decision;
  }

  /**
   * Takes permits, waiting up to `maxWait` for them behind earlier waiters (oldest first).
   * @throws RateLimitedError (with `retryAfter`) as soon as they cannot be had in time; the abort
   * reason when `signal` aborts (the caller leaves the queue at once).
   * @throws ValidationError when more permits are asked than the algorithm can ever grant.
   */
  async acquire(key: string = DEFAULT_RATE_LIMIT_KEY, options?: AcquireOptions): Promise<RateLimitDecision> {
    const decision = await this.#acquire(key, options);
    this.#decided(true);
    return decision;
  }

  async #acquire(key: string, options: AcquireOptions | undefined): Promise<RateLimitDecision> {
    const signal = options?.signal;
    const permits = options?.permits ?? 1;
    throwIfAborted(signal);
    this.#checkPermits('rateLimiter.acquire', permits);
    const deadline = this.#clock.now() + this.#maxWait;
    const queue = this.#queues.get(this.#storeKey(key));
    if (queue !== undefined && queue.size > 0) return queue.wait(permits, deadline, signal);
    // A synchronous store answers at once, so a refused caller joins the queue before anyone
    // who arrives after it; a remote answer is awaited (and given up on abort).
    const answer = this.#consume(key, permits);
    const decision = isPromiseLike(answer) ? await raceAbort(Promise.resolve(answer), signal) : answer;
    if (decision.allowed) return decision;
    if (this.#clock.now() + decision.retryAfter > deadline) throw this.#refusal(key, decision.retryAfter);
    return this.#queueFor(key).wait(permits, deadline, signal, decision.retryAfter);
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
    return unwrap(await this.#executor.run(fn, contextFor(signal), signal), signal);
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

  #storeKey(key: string): string {
    return `${this.#name}:${key}`;
  }

  #consume(key: string, permits: number): RateLimitDecision | PromiseLike<RateLimitDecision> {
    return this.#store.consume(this.#storeKey(key), this.#algorithm, permits, this.#clock.now());
  }

  #checkPermits(subject: string, permits: number): void {
    assertOptions(subject, { permits: optionInteger(permits, { min: 1, max: this.#algorithm.maxPermits }) });
  }

  #refusal(key: string, retryAfter: number): RateLimitedError {
    this.#events.emit('reject', { key, retryAfter });
    this.#decided(false);
    const detail = { 'keel.rate_limit.key': key, 'keel.rate_limit.retry_after_ms': retryAfter };
    return this.#executor.reject(new RateLimitedError(key, retryAfter), 'rate-limited', detail);
  }

  /** Counts one decision (granted permits, or a refusal). */
  #decided(allowed: boolean): void {
    if (!telemetryEnabled()) return;
    const outcome = allowed ? 'allowed' : 'rejected';
    recordMetric(RESILIENCE_METRICS.rateLimitDecisions, 1, {
      ...this.#executor.attributes,
      'keel.outcome': outcome,
    });
  }

  #queueFor(key: string): PermitQueue {
    const storeKey = this.#storeKey(key);
    let queue = this.#queues.get(storeKey);
    if (queue === undefined) {
      const created: PermitQueue = new PermitQueue(
        this.#clock,
        (permits) => this.#consume(key, permits),
        (retryAfter) => this.#refusal(key, retryAfter),
        () => {
          if (this.#queues.get(storeKey) === created) this.#queues.delete(storeKey);
        },
      );
      queue = created;
      this.#queues.set(storeKey, queue);
    }
    return queue;
  }
}

/**
 * Creates a {@link RateLimiterPolicy}.
 *
 * @param algorithm `tokenBucket(...)`, `slidingWindow(...)` or `gcra(...)`.
 * @throws ValidationError on bad options (a missing algorithm or a store of the wrong kind included).
 * @example
 * ```ts
 * const perTenant = rateLimiter(gcra({ limit: 50, periodMs: 1_000 }), { maxWait: 500 });
 * await perTenant.executeFor(tenantId, () => handle(request));
 * ```
 */
export function rateLimiter(
  algorithm: RateLimitAlgorithm<any>,
  options?: RateLimiterOptions,
): RateLimiterPolicy {
  return new RateLimiterPolicy(algorithm, options);
}
