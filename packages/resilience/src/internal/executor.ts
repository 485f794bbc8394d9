import { abortReason, disposer, recordMetric, telemetryEnabled } from '@keel/core';
import type { Attributes, Clock, Disposer, Logger, PolicyContext } from '@keel/core';
import { policyEmitter } from './events.js';
import { errorType, reportPolicyEvent, RESILIENCE_METRICS } from './telemetry.js';
import type { PolicyEventName } from './telemetry.js';

/** Which policy ran a call. */
export type PolicyKind =
  'retry' | 'circuitBreaker' | 'timeout' | 'bulkhead' | 'fallback' | 'hedge' | 'rateLimiter' | 'chaos';

/**
 * How a call ended for the policy that ran it: `success`; `failure` (an error or result the
 * policy's `handle`/`handleResult` predicates count as a failure); `unhandled` (an error those
 * predicates let through uncounted); `aborted` (the call failed after its signal aborted: the
 * caller gave up, so it is never counted); `rejected` (the policy refused to run it).
 */
export type OutcomeKind = 'success' | 'failure' | 'unhandled' | 'aborted' | 'rejected';

interface OutcomeBase {
  /** The policy's `name` option (its kind by default). */
  readonly policy: string;
  readonly kind: PolicyKind;
  /**
   * How long the call took, in ms of the policy's clock; 0 for a `rejected` call, and for a call
   * that started while nothing (no listener, no telemetry, no policy rule) needed the time.
   */
  readonly duration: number;
}

/** One call's outcome, as a policy decides it and as `onOutcome` listeners and telemetry see it. */
export type PolicyOutcome<TResult = unknown> = OutcomeBase &
  (
    | { readonly outcome: 'success' | 'failure'; readonly result: TResult }
    | { readonly outcome: 'failure' | 'unhandled' | 'aborted' | 'rejected'; readonly error: unknown }
  );

/** How a policy's executor classifies and reports calls. */
export interface ExecutorOptions<TContext> {
  readonly kind: PolicyKind;
  readonly name: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Errors that count as failures; others are `unhandled`. @default every error */
  readonly handle?: ((error: unknown, context: TContext) => boolean) | undefined;
  /** Results that count as failures. @default none */
  readonly handleResult?: ((result: unknown, context: TContext) => boolean) | undefined;
  /** Measure every call, even unobserved ones (a policy rule needs the duration). @default false */
  readonly timed?: boolean | undefined;
}

/**
 * The one execute-and-classify step every policy runs its user calls through: it runs the call
 * with its context, classifies the outcome by the policy's predicates, measures the duration on
 * the policy's clock, and emits one {@link PolicyOutcome} that the policy's own logic,
 * `onOutcome` listeners and telemetry all consume. Policy events (a retry, a timeout, a
 * rejection) are reported through it too, under the policy's name and kind.
 */
export class Executor<TContext extends PolicyContext = PolicyContext> {
  readonly name: string;
  readonly kind: PolicyKind;
  /** `keel.policy.name` and `keel.policy.kind`, the base of every attribute set. */
  readonly attributes: Attributes;
  readonly #clock: Clock;
  readonly #handle: ((error: unknown, context: TContext) => boolean) | undefined;
  readonly #handleResult: ((result: unknown, context: TContext) => boolean) | undefined;
  readonly #timed: boolean;
  readonly #events;
  #listeners = 0;
  #successAttributes: Attributes | undefined;

  constructor(options: ExecutorOptions<TContext>) {
    this.name = options.name;
    this.kind = options.kind;
    this.attributes = Object.freeze({ 'keel.policy.name': options.name, 'keel.policy.kind': options.kind });
    this.#clock = options.clock;
    this.#handle = options.handle;
    this.#handleResult = options.handleResult;
    this.#timed = options.timed === true;
    this.#events = policyEmitter<{ outcome: PolicyOutcome }>(options.kind, options.logger);
  }

  /** Listens to every call's outcome. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    this.#listeners++;
    const dispose = this.#events.on('outcome', listener);
    return disposer(() => {
      this.#listeners--;
      dispose();
    });
  }

  /**
   * Runs `fn` and resolves to its classified outcome; never rejects with the call's error (only
   * with an error thrown by a predicate). `signal` is the one whose abort makes a failure
   * `aborted` (the caller's, or an attempt's own).
   */
  run<TResult>(
    fn: (context: TContext) => PromiseLike<TResult> | TResult,
    context: TContext,
    signal: AbortSignal | undefined,
  ): Promise<PolicyOutcome<TResult>> {
    const startedAt = this.begin();
    // Chained with `then` rather than an async function: one promise less per call.
    let value: PromiseLike<TResult> | TResult;
    try {
      value = fn(context);
    } catch (error) {
      return settleNow(() => this.failed<TResult>(error, context, signal, startedAt));
    }
    return Promise.resolve(value).then(
      (result) => this.succeeded(result, context, startedAt),
      (error: unknown) => this.failed<TResult>(error, context, signal, startedAt),
    );
  }

  /**
   * Starts one call, for a policy on a hot path that awaits the call itself (one promise less
   * than {@link Executor.run}) and then hands the result to {@link Executor.succeeded} or the
   * error to {@link Executor.failed}. @returns when the call started, if anything needs to know.
   */
  begin(): number | undefined {
    return this.#listeners > 0 || this.#timed || telemetryEnabled() ? this.#clock.now() : undefined;
  }

  /**
   * Classifies a call that returned `result` (a failure when `handleResult` says so), and
   * reports it. @throws what a throwing result predicate threw: a bug to surface, not a failure.
   */
  succeeded<TResult>(
    result: TResult,
    context: TContext,
    startedAt: number | undefined,
  ): PolicyOutcome<TResult> {
    const outcome = this.#handleResult?.(result, context) === true ? 'failure' : 'success';
    const duration = this.#since(startedAt);
    if (!this.#observed()) return { policy: this.name, kind: this.kind, duration, outcome, result };
    return this.#settled({ policy: this.name, kind: this.kind, duration, outcome, result });
  }

  /** Classifies a call that threw `error` (`failure`, `unhandled` or `aborted`), and reports it. */
  failed<TResult>(
    error: unknown,
    context: TContext,
    signal: AbortSignal | undefined,
    startedAt: number | undefined,
  ): PolicyOutcome<TResult> {
    const outcome = this.#classify(error, context, signal);
    const duration = this.#since(startedAt);
    if (!this.#observed()) return { policy: this.name, kind: this.kind, duration, outcome, error };
    return this.#settled({ policy: this.name, kind: this.kind, duration, outcome, error });
  }

  #observed(): boolean {
    return this.#listeners > 0 || telemetryEnabled();
  }

  #settled<TResult>(outcome: PolicyOutcome<TResult>): PolicyOutcome<TResult> {
    this.#report(outcome);
    return outcome;
  }

  /**
   * Reports a call the policy refused to run: an outcome `rejected`, the rejections counter by
   * `reason` (e.g. `open`, `full`), and a span event with `detail` too. @returns `error`.
   */
  reject<TError>(error: TError, reason: string, detail?: Attributes): TError {
    if (this.#listeners > 0 || telemetryEnabled()) {
      this.#report({ policy: this.name, kind: this.kind, duration: 0, outcome: 'rejected', error });
      const attributes = { 'keel.reason': reason, 'error.type': errorType(error) };
      reportPolicyEvent(this.attributes, 'rejected', attributes, detail);
    }
    return error;
  }

  /**
   * Reports a policy event under this policy's name and kind: a counter with the low-cardinality
   * `attributes`, and a span event on the caller's span with `detail` too.
   */
  event(event: PolicyEventName, attributes?: Attributes, detail?: Attributes): void {
    reportPolicyEvent(this.attributes, event, attributes, detail);
  }

  #classify(
    error: unknown,
    context: TContext,
    signal: AbortSignal | undefined,
  ): 'failure' | 'unhandled' | 'aborted' {
    // A caller that gave up is never counted, whatever the aborted call threw.
    if (signal?.aborted === true) return 'aborted';
    return this.#handle === undefined || this.#handle(error, context) ? 'failure' : 'unhandled';
  }

  #since(startedAt: number | undefined): number {
    return startedAt === undefined ? 0 : Math.max(this.#clock.now() - startedAt, 0);
  }

  #report(outcome: PolicyOutcome): void {
    if (this.#listeners > 0) this.#events.emit('outcome', outcome);
    if (!telemetryEnabled() || outcome.outcome === 'rejected') return;
    recordMetric(RESILIENCE_METRICS.duration, outcome.duration / 1000, this.#attributesOf(outcome));
  }

  #attributesOf(outcome: PolicyOutcome): Attributes {
    // The success path is the hot one: its attribute set is built once.
    if (outcome.outcome === 'success') {
      return (this.#successAttributes ??= Object.freeze({ ...this.attributes, 'keel.outcome': 'success' }));
    }
    return {
      ...this.attributes,
      'keel.outcome': outcome.outcome,
      'error.type': 'error' in outcome ? errorType(outcome.error) : undefined,
    };
  }
}

/** A promise of `settle()`'s value, rejected when it throws. */
function settleNow<TValue>(settle: () => TValue): Promise<TValue> {
  try {
    return Promise.resolve(settle());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The call's result, or its error thrown; the abort reason of `signal` instead when the caller
 * gave up (an `aborted` outcome), whatever the call threw on the way out.
 */
export function unwrap<TResult>(outcome: PolicyOutcome<TResult>, signal?: AbortSignal): TResult {
  if (outcome.outcome === 'aborted' && signal !== undefined) throw abortReason(signal);
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}
