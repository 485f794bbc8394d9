import {
  abortReason,
  assertOptions,
  noopLogger,
  optionClock,
  optionLogger,
  optionNumber,
  optionOneOf,
  optionString,
  systemClock,
  throwIfAborted,
  TimeoutError,
  whenAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Logger, Policy, PolicyContext, Timer } from '@keel/core';
import { policyEmitter } from '../internal/events.js';
import { Executor, unwrap } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { LazyScope } from '../internal/lazyScope.js';
import { ignoreRejection } from '../internal/signal.js';

/**
 * How a timeout ends a call. `cooperative`: aborts the signal handed to the call and waits for
 * the call to stop (it must honour the signal). `aggressive`: aborts the signal too, but rejects
 * at once without waiting; the work may go on in the background.
 */
export type TimeoutStrategy = 'cooperative' | 'aggressive';

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** How the call is ended. @default 'cooperative' */
  strategy?: TimeoutStrategy | undefined;
  /** Names the operation in the `TimeoutError` message. @default 'Operation' */
  operation?: string | undefined;
  /** Where timers come from. @default systemClock */
  clock?: Clock | undefined;
  /** Receives errors thrown by event listeners. @default noopLogger */
  logger?: Logger | undefined;
  /** Names the policy in telemetry (`keel.policy.name`) and outcome events. @default 'timeout' */
  name?: string | undefined;
}

/** Payload of {@link TimeoutPolicy.onTimeout}. */
export interface TimeoutEvent {
  /** The limit that ran out, in ms. */
  readonly timeoutMs: number;
}

/** The defaults of {@link TimeoutOptions}. */
const TIMEOUT_DEFAULTS = Object.freeze({
  strategy: 'cooperative' as TimeoutStrategy,
  operation: 'Operation',
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
  name: 'timeout',
});

/**
 * Limits how long a call may take. Every call gets its own fresh signal, linked to the caller's;
 * the timer and the listener on the caller's signal are removed however the call ends.
 */
export class TimeoutPolicy implements Policy {
  readonly #ms: number;
  readonly #strategy: TimeoutStrategy;
  readonly #operation: string;
  readonly #clock: Clock;
  readonly #events;
  readonly #executor: Executor<LazyScope>;

  /** Prefer {@link timeout}. @throws ValidationError on bad options. */
  constructor(ms: number, options?: TimeoutOptions) {
    const settings = withDefaults(TIMEOUT_DEFAULTS, options);
    assertOptions('timeout', {
      ms: optionNumber(ms, { min: 0, infinity: true, required: true }),
      strategy: optionOneOf(settings.strategy, ['cooperative', 'aggressive']),
      operation: optionString(settings.operation),
      clock: optionClock(settings.clock, ['now', 'setTimeout']),
      logger: optionLogger(settings.logger, { uses: ['error'] }),
      name: optionString(settings.name),
    });
    this.#ms = ms;
    this.#strategy = settings.strategy;
    this.#operation = settings.operation;
    this.#clock = settings.clock;
    this.#events = policyEmitter<{ timeout: TimeoutEvent }>('timeout', settings.logger);
    this.#executor = new Executor<LazyScope>({
      kind: 'timeout',
      name: settings.name,
      clock: settings.clock,
      logger: settings.logger,
    });
  }

  /** Listens to every call's outcome (with its duration); a timed-out call fails with its `TimeoutError`. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /** The limit in ms (`Infinity`: no limit). */
  get timeoutMs(): number {
    return this.#ms;
  }

  /** Listens to every call that runs out of time. @returns a disposer. */
  onTimeout(listener: (event: TimeoutEvent) => void): Disposer {
    return this.#events.on('timeout', listener);
  }

  /**
   * Runs `fn` with a signal that aborts with a `TimeoutError` after the limit.
   * @throws TimeoutError (with the call's own error as `cause`, if any) when time runs out;
   * the abort reason when `signal` aborts first.
   */
  async execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    throwIfAborted(signal);
    const scope = new LazyScope(signal);
    return unwrap(
      await this.#executor.run((context) => this.#limit(fn, context, signal), scope, signal),
      signal,
    );
  }

  /** Runs `fn` in `scope` under the time limit; a call that ran out of time throws a `TimeoutError`. */
  async #limit<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    scope: LazyScope,
    signal: AbortSignal | undefined,
  ): Promise<TResult> {
    let timedOut: TimeoutError | undefined;
    let interrupt: ((reason: unknown) => void) | undefined;
    const onTimeout = (): void => {
      timedOut = new TimeoutError(this.#ms, { operation: this.#operation });
      this.#events.emit('timeout', { timeoutMs: this.#ms });
      scope.abort(timedOut);
      interrupt?.(timedOut);
    };
    // An infinite limit never fires, so it schedules nothing.
    const timer: Timer | undefined =
      this.#ms === Infinity ? undefined : this.#clock.setTimeout(onTimeout, this.#ms);
    try {
      if (this.#strategy === 'cooperative') return await fn(scope);
      return await this.#race(fn, scope, signal, (reject) => (interrupt = reject));
    } catch (error) {
      if (timedOut !== undefined && !signal?.aborted) {
        this.#executor.event(
          'timeout',
          { 'keel.timeout.strategy': this.#strategy },
          { 'keel.timeout.ms': this.#ms },
        );
        throw error === timedOut
          ? error
          : new TimeoutError(this.#ms, { operation: this.#operation, cause: error });
      }
      // A caller that gave up gets its own reason, not whatever the call threw on the way out.
      throw signal?.aborted === true ? abortReason(signal) : error;
    } finally {
      timer?.cancel();
      scope.dispose();
    }
  }

  /** Settles with the call or, as soon as the time runs out or the caller aborts, with the reason. */
  #race<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    scope: LazyScope,
    signal: AbortSignal | undefined,
    onInterrupt: (reject: (reason: unknown) => void) => void,
  ): Promise<TResult> {
    return new Promise<TResult>((resolve, reject) => {
      // Whichever way the race ends, the caller's signal loses our listener at once, even if
      // the abandoned work never settles.
      let stop = (): void => {};
      const onAbort = (): void => {
        scope.abort(abortReason(signal!));
        fail(abortReason(signal!));
      };
      const fail = (reason: unknown): void => (stop(), reject(reason));
      onInterrupt(fail);
      if (signal !== undefined) stop = whenAborted(signal, onAbort);
      const work = Promise.resolve().then(() => fn(scope));
      ignoreRejection(work);
      work.then((value) => (stop(), resolve(value)), fail);
    });
  }
}

/**
 * Creates a {@link TimeoutPolicy}.
 *
 * @param ms The limit in milliseconds (>= 0; `Infinity` for none, e.g. from configuration).
 * @throws ValidationError when `ms` is missing, negative or NaN, or an option is of the wrong kind.
 * @example
 * ```ts
 * const policy = timeout(2_000);
 * const res = await policy.execute(({ signal }) => fetch(url, { signal }));
 * ```
 */
export function timeout(ms: number, options?: TimeoutOptions): TimeoutPolicy {
  return new TimeoutPolicy(ms, options);
}
