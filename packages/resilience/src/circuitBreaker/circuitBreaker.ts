import { throwIfAborted } from '@keel/core';
import type { Clock, Disposer, Policy, PolicyContext } from '@keel/core';
import type { BackoffSequence } from '../backoff/backoff.js';
import { BrokenCircuitError } from '../errors/errors.js';
import { policyEmitter } from '../internal/events.js';
import { Executor } from '../internal/executor.js';
import type { PolicyOutcome } from '../internal/executor.js';
import { reportCircuitState, reportCircuitTransition } from '../internal/telemetry.js';
import { contextFor } from '../internal/signal.js';
import type { BreakerWindow } from './breakerStrategy.js';
import { breakerSettings } from './circuitBreakerOptions.js';
import type {
  BreakEvent,
  BreakerEvents,
  BreakerSettings,
  CircuitBreakerOptions,
  StateChangeEvent,
} from './circuitBreakerOptions.js';
import { checkSnapshot } from './snapshot.js';
import type { CircuitBreakerSnapshot, CircuitState } from './snapshot.js';

/** How a call ended for the breaker: a success, a counted failure, or not counted at all. */
type Outcome = 'success' | 'ignored' | { readonly failure: unknown };

/**
 * Stops calling a failing dependency for a while, then probes it. States: closed (calls run and
 * are judged by the strategy), open (calls are refused with a `BrokenCircuitError`), half-open
 * (up to `halfOpenProbes` calls probe; `successThreshold` successes close it, one failure reopens
 * it), isolated (refused until `reset()`). Outcomes of calls that started in an earlier state are
 * ignored, so a slow old call can never close or reopen a circuit it did not probe.
 */
export class CircuitBreakerPolicy implements Policy {
  readonly #clock: Clock;
  readonly #window: BreakerWindow;
  readonly #options: BreakerSettings;
  readonly #events;
  readonly #executor: Executor;
  #state: CircuitState = 'closed';
  #generation = 0;
  #openUntil = 0;
  #breakCount = 0;
  #breakSequence: BackoffSequence | undefined;
  #probesAdmitted = 0;
  #probeSuccesses = 0;
  /** The failure (error or rejected result) that last opened the circuit, for `BrokenCircuitError.cause`. */
  #openedBy: { readonly failure: unknown } | undefined;

  /** Prefer {@link circuitBreaker}. @throws ValidationError on bad options or snapshot. */
  constructor(options?: CircuitBreakerOptions) {
    this.#options = breakerSettings(options);
    this.#clock = this.#options.clock;
    this.#window = this.#options.strategy.create(this.#clock);
    this.#events = policyEmitter<BreakerEvents>('circuitBreaker', this.#options.logger);
    this.#executor = new Executor({
      kind: 'circuitBreaker',
      name: this.#options.name,
      clock: this.#clock,
      logger: this.#options.logger,
      handle: this.#options.handle,
      handleResult: this.#options.handleResult,
      // Slow calls are judged by their duration, so every call is timed.
      timed: this.#options.slowCallDuration !== undefined,
    });
    if (this.#options.initialState !== undefined) this.#restore(checkSnapshot(this.#options.initialState));
    reportCircuitState(this.#executor.attributes, this.#state);
  }

  /** Listens to every admitted call's outcome (with its duration) and every refusal. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /** The current state (an open circuit whose break is over reports `half-open`). */
  get state(): CircuitState {
    this.#maybeHalfOpen();
    return this.#state;
  }

  /** Listens to openings. @returns a disposer. */
  onBreak(listener: (event: BreakEvent) => void): Disposer {
    return this.#events.on('break', listener);
  }

  /** Listens to the moves to half-open. @returns a disposer. */
  onHalfOpen(listener: (event: { readonly at: number }) => void): Disposer {
    return this.#events.on('halfOpen', listener);
  }

  /** Listens to the circuit closing (after probes or `reset()`). @returns a disposer. */
  onReset(listener: (event: { readonly at: number }) => void): Disposer {
    return this.#events.on('reset', listener);
  }

  /** Listens to `isolate()`. @returns a disposer. */
  onIsolate(listener: (event: { readonly at: number }) => void): Disposer {
    return this.#events.on('isolate', listener);
  }

  /** Listens to every state transition. @returns a disposer. */
  onStateChange(listener: (event: StateChangeEvent) => void): Disposer {
    return this.#events.on('stateChange', listener);
  }

  /** Holds the circuit open by hand until {@link reset}: every call is refused. */
  isolate(): void {
    if (this.#state === 'isolated') return;
    this.#transition('isolated');
    this.#events.emit('isolate', { at: this.#clock.now() });
  }

  /**
   * Closes the circuit by hand from any state, forgetting its failure statistics and break
   * backoff. On a circuit that is already closed it only forgets (no event is emitted); calls
   * still running from before the reset are not counted in the fresh statistics.
   */
  reset(): void {
    if (this.#state !== 'closed') return this.#close();
    this.#forget();
    this.#generation++;
  }

  /** The state as plain JSON, to save and pass later as `initialState`. */
  exportState(): CircuitBreakerSnapshot {
    const state = this.state;
    if (state === 'open' || state === 'half-open') {
      const openUntil = state === 'open' ? this.#openUntil : this.#clock.now();
      return { version: 1, state: 'open', openUntil, breakCount: this.#breakCount };
    }
    return { version: 1, state, breakCount: this.#breakCount };
  }

  /**
   * Runs `fn` if the circuit admits it.
   * @throws BrokenCircuitError when the circuit is open, isolated, or half-open with every probe
   * slot taken; its `cause` is the failure (error or rejected result) that opened the circuit.
   */
  async execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    throwIfAborted(signal);
    const generation = this.#admit();
    const context = contextFor(signal);
    const startedAt = this.#executor.begin();
    let settled: PolicyOutcome<TResult>;
    try {
      const result = await fn(context);
      settled = this.#executor.succeeded(result, context, startedAt);
    } catch (error) {
      settled = this.#executor.failed(error, context, signal, startedAt);
    }
    this.#settle(generation, settled);
    if ('error' in settled) throw settled.error;
    return settled.result;
  }

  /** Admits a call or throws; returns the state generation the call belongs to. */
  #admit(): number {
    if (this.#state === 'closed') return this.#generation;
    this.#maybeHalfOpen();
    if (this.#state !== 'half-open') throw this.#refusal(this.#state);
    if (this.#probesAdmitted >= this.#options.halfOpenProbes) throw this.#refusal('half-open-busy');
    this.#probesAdmitted++;
    return this.#generation;
  }

  #refusal(reason: 'open' | 'isolated' | 'half-open-busy'): BrokenCircuitError {
    const open = reason === 'open';
    const openUntil = open ? this.#openUntil : undefined;
    const retryAfter = open ? Math.max(this.#openUntil - this.#clock.now(), 0) : undefined;
    // An isolated circuit was opened by hand: no failure caused it.
    const cause = reason === 'isolated' ? undefined : this.#openedBy;
    const error = new BrokenCircuitError(
      { reason, openUntil, retryAfter },
      cause === undefined ? {} : { cause: cause.failure },
    );
    return this.#executor.reject(error, reason);
  }

  #settle(generation: number, settled: PolicyOutcome): void {
    if (generation !== this.#generation) return;
    const outcome: Outcome =
      settled.outcome === 'success'
        ? 'success'
        : settled.outcome === 'failure'
          ? { failure: 'error' in settled ? settled.error : settled.result }
          : 'ignored';
    const slow =
      this.#options.slowCallDuration !== undefined && settled.duration >= this.#options.slowCallDuration;
    if (this.#state === 'half-open') return this.#settleProbe(outcome, slow);
    if (this.#state !== 'closed' || outcome === 'ignored') return;
    const failed = outcome !== 'success';
    const trip = this.#window.record(failed, slow);
    if (trip !== undefined) this.#open(trip, failed ? outcome : undefined);
  }

  #settleProbe(outcome: Outcome, slow: boolean): void {
    if (outcome === 'ignored') {
      // Free the slot so an aborted or uncounted probe never leaves the circuit stuck half-open.
      this.#probesAdmitted--;
    } else if (outcome !== 'success' || slow) {
      this.#open('half-open-failure', outcome === 'success' ? undefined : outcome);
    } else if (++this.#probeSuccesses >= this.#options.successThreshold) {
      this.#close();
    }
  }

  #maybeHalfOpen(): void {
    if (this.#state !== 'open' || this.#clock.now() < this.#openUntil) return;
    this.#probesAdmitted = 0;
    this.#probeSuccesses = 0;
    this.#transition('half-open');
    this.#events.emit('halfOpen', { at: this.#clock.now() });
  }

  #open(reason: BreakEvent['reason'], openedBy: { readonly failure: unknown } | undefined): void {
    this.#openedBy = openedBy;
    this.#breakCount++;
    const duration = this.#breakDuration();
    this.#openUntil = this.#clock.now() + duration;
    this.#transition('open', { 'keel.reason': reason, 'keel.circuit.break_ms': duration });
    this.#events.emit('break', { reason, duration, openUntil: this.#openUntil });
  }

  #breakDuration(): number {
    const setting = this.#options.breakDuration;
    if (typeof setting === 'number') return setting;
    this.#breakSequence ??= setting.begin();
    return this.#breakSequence.next(this.#breakCount);
  }

  #close(): void {
    this.#forget();
    this.#transition('closed');
    this.#events.emit('reset', { at: this.#clock.now() });
  }

  /** Forgets the closed-state statistics, the break backoff and what opened the circuit. */
  #forget(): void {
    this.#breakCount = 0;
    this.#breakSequence = undefined;
    this.#openedBy = undefined;
    this.#window.reset();
  }

  #transition(to: CircuitState, detail?: Record<string, string | number>): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#events.emit('stateChange', { from, to, at: this.#clock.now() });
    reportCircuitTransition(this.#executor.attributes, from, to, detail);
  }

  #restore(snapshot: CircuitBreakerSnapshot): void {
    this.#state = snapshot.state;
    this.#breakCount = snapshot.breakCount;
    this.#openUntil = snapshot.openUntil ?? 0;
  }
}

/**
 * Creates a {@link CircuitBreakerPolicy}.
 *
 * @throws ValidationError on bad options (e.g. `successThreshold` above `halfOpenProbes`).
 * @example
 * ```ts
 * const breaker = circuitBreaker({ strategy: countWindow({ size: 20 }), breakDuration: 10_000 });
 * breaker.onBreak(({ reason, duration }) => log.warn('circuit opened', { reason, duration }));
 * ```
 */
export function circuitBreaker(options?: CircuitBreakerOptions): CircuitBreakerPolicy {
  return new CircuitBreakerPolicy(options);
}
