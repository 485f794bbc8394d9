import {
  abortReason,
  assertOptions,
  noopLogger,
  optionClock,
  optionInteger,
  optionLogger,
  optionNumber,
  optionString,
  systemClock,
  throwIfAborted,
  whenAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Logger, Policy, PolicyContext, Timer } from '@keel/core';
import { BulkheadRejectedError } from '../errors/errors.js';
import type { BulkheadRejectionReason } from '../errors/errors.js';
import { policyEmitter } from '../internal/events.js';
import { Executor, unwrap } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { reportLevel, RESILIENCE_METRICS } from '../internal/telemetry.js';
import { contextFor } from '../internal/signal.js';

/** Options of {@link bulkhead}. */
export interface BulkheadOptions {
  /** Calls that may wait for a slot; further calls are rejected at once (`Infinity` allowed, not advised). @default 0 */
  maxQueue?: number | undefined;
  /** The longest a call waits in the queue, in ms (`Infinity`: no limit). @default no limit */
  queueTimeout?: number | undefined;
  /** Where queue-wait timers come from. @default systemClock */
  clock?: Clock | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
  /** Names the bulkhead in telemetry (`keel.policy.name`) and outcome events. @default 'bulkhead' */
  name?: string | undefined;
}

/** Payload of {@link BulkheadPolicy.onReject}. */
export interface BulkheadRejectEvent {
  readonly reason: BulkheadRejectionReason;
}

/** The defaults of {@link BulkheadOptions}. */
const BULKHEAD_DEFAULTS = Object.freeze({
  maxQueue: 0,
  queueTimeout: Infinity,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
  name: 'bulkhead',
});

interface Waiter {
  /** Hands the waiter a running slot. */
  grant(): void;
}

/**
 * Limits how many calls run at once, with a bounded queue for the overflow, so one slow
 * dependency cannot take every resource of the process.
 */
export class BulkheadPolicy implements Policy {
  readonly #maxConcurrent: number;
  readonly #maxQueue: number;
  readonly #queueTimeout: number;
  readonly #clock: Clock;
  readonly #queue = new Set<Waiter>();
  readonly #events;
  readonly #executor: Executor;
  #running = 0;

  /** Prefer {@link bulkhead}. @throws ValidationError on bad options. */
  constructor(maxConcurrent: number, options?: BulkheadOptions) {
    const settings = withDefaults(BULKHEAD_DEFAULTS, options);
    assertOptions('bulkhead', {
      maxConcurrent: optionInteger(maxConcurrent, { min: 1, required: true }),
      maxQueue: optionInteger(settings.maxQueue, { min: 0, infinity: true }),
      queueTimeout: optionNumber(settings.queueTimeout, { min: 0, infinity: true }),
      clock: optionClock(settings.clock, ['now', 'setTimeout']),
      logger: optionLogger(settings.logger, { uses: ['error'] }),
      name: optionString(settings.name),
    });
    this.#maxConcurrent = maxConcurrent;
    this.#maxQueue = settings.maxQueue;
    this.#queueTimeout = settings.queueTimeout;
    this.#clock = settings.clock;
    this.#events = policyEmitter<{ reject: BulkheadRejectEvent }>('bulkhead', settings.logger);
    this.#executor = new Executor({
      kind: 'bulkhead',
      name: settings.name,
      clock: settings.clock,
      logger: settings.logger,
    });
  }

  /** Calls running now. */
  get executing(): number {
    return this.#running;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Listens to rejections. @returns a disposer. */
  onReject(listener: (event: BulkheadRejectEvent) => void): Disposer {
    return this.#events.on('reject', listener);
  }

  /** Listens to every admitted call's outcome (with its duration, queue wait excluded) and every rejection. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /**
   * Runs `fn` when a slot is free, waiting in the queue if there is room.
   * @throws BulkheadRejectedError when slots and queue are full, or the queue wait runs out;
   * the abort reason when `signal` aborts while waiting.
   */
  async execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    throwIfAborted(signal);
    if (this.#running < this.#maxConcurrent) this.#setRunning(this.#running + 1);
    else if (this.#queue.size < this.#maxQueue) await this.#wait(signal);
    else throw this.#reject('full');
    const context = contextFor(signal);
    const startedAt = this.#executor.begin();
    let result: TResult;
    try {
      result = await fn(context);
    } catch (error) {
      this.#executor.failed(error, context, signal, startedAt);
      // A caller that gave up gets its own reason, not whatever the call threw on the way out.
      throw signal?.aborted === true ? abortReason(signal) : error;
    } finally {
      this.#release();
    }
    return unwrap(this.#executor.succeeded(result, context, startedAt));
  }

  /** Hands the slot to the oldest waiter, or frees it. */
  #release(): void {
    if (this.#queue.size === 0) {
      this.#setRunning(this.#running - 1);
      return;
    }
    this.#queue.values().next().value!.grant();
  }

  #setRunning(running: number): void {
    this.#running = running;
    reportLevel(RESILIENCE_METRICS.bulkheadExecuting, this.#executor.attributes, running);
  }

  #queueChanged(): void {
    reportLevel(RESILIENCE_METRICS.bulkheadQueued, this.#executor.attributes, this.#queue.size);
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: Timer | undefined;
      let unfollow: (() => void) | undefined;
      const leave = (): void => {
        if (this.#queue.delete(waiter)) this.#queueChanged();
        timer?.cancel();
        unfollow?.();
      };
      const onAbort = (): void => (leave(), reject(abortReason(signal!)));
      // The slot passes straight from the finishing call to this waiter: `running` is unchanged.
      const waiter: Waiter = { grant: () => (leave(), resolve()) };
      this.#queue.add(waiter);
      this.#queueChanged();
      // Queued callers sharing one signal share one listener on it (core's `whenAborted`).
      if (signal !== undefined) unfollow = whenAborted(signal, onAbort);
      if (this.#queueTimeout !== Infinity) {
        timer = this.#clock.setTimeout(
          () => (leave(), reject(this.#reject('queue-timeout'))),
          this.#queueTimeout,
        );
      }
    });
  }

  #reject(reason: BulkheadRejectionReason): BulkheadRejectedError {
    this.#events.emit('reject', { reason });
    const limits = { maxConcurrent: this.#maxConcurrent, maxQueue: this.#maxQueue };
    const error = new BulkheadRejectedError(
      reason,
      this.#queueTimeout === Infinity ? limits : { ...limits, queueTimeout: this.#queueTimeout },
    );
    return this.#executor.reject(error, reason);
  }
}

/**
 * Creates a {@link BulkheadPolicy}.
 *
 * @param maxConcurrent Calls allowed to run at once (integer >= 1).
 * @throws ValidationError on a missing, zero or fractional capacity, a negative queue size or
 *   wait, or a `clock` or `logger` of the wrong kind.
 * @example
 * ```ts
 * const pool = bulkhead(10, { maxQueue: 50, queueTimeout: 2_000 });
 * await pool.execute(({ signal }) => db.query(sql, { signal }));
 * ```
 */
export function bulkhead(maxConcurrent: number, options?: BulkheadOptions): BulkheadPolicy {
  return new BulkheadPolicy(maxConcurrent, options);
}
