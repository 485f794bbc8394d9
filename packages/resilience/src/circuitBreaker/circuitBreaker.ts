import { abortReason, throwIfAborted } from '@keel/core';
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
import {
  breakIsOver,
  fromSnapshot,
  toClosed,
  toHalfOpen,
  toIsolated,
  toOpen,
  toSnapshot,
} from './breakerState.js';
import type { BreakerState, HalfOpenState, IsolatedState, OpenedBy, OpenState } from './breakerState.js';
import { checkSnapshot } from './snapshot.js';
import type { CircuitBreakerSnapshot, CircuitState } from './snapshot.js';

/** How a call ended for the breaker: a success, a counted failure, or not counted at all. */
type Outcome = 'success' | 'ignored' | OpenedBy;

/**
 * Stops calling a failing dependency for a while, then probes it. States: closed (calls run and
 * are judged by the strategy), open (calls are refused with a `BrokenCircuitError`), half-open
 * (up to `halfOpenProbes` calls probe; `successThreshold` successes close it, one failure reopens
 * it), isolated (refused until `reset()`). Outcomes of calls that started in an earlier state are
 * ignored, so a slow old call can never close or reopen a circuit it did not probe.
 *
 * The move from open to half-open happens on the first call attempt after the break (as in
 * resilience4j and Polly v8), not by itself: until a call comes, {@link state} still reports
 * `open`. Reading `state` or {@link exportState} never changes the state or emits an event.
 */
export class CircuitBreakerPolicy implements Policy {
  readonly #clock: Clock;
  readonly #options: BreakerSettings;
  readonly #events;
  readonly #executor: Executor;
  /** The closed-state statistics, made once and reset whenever the circuit closes. */
  readonly #window: BreakerWindow;
  #current: BreakerState;
  #breakSequence: BackoffSequence | undefined;

  /** Prefer {@link circuitBreaker}. @throws ValidationError on bad options or snapshot. */
  constructor(options?: CircuitBreakerOptions) {
    this.#options = breakerSettings(options);
    this.#clock = this.#options.clock;
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
    this.#window = this.#options.strategy.create(this.#clock);
    const initial = this.#options.initialState;
    this.#current =
      initial === undefined
        ? toClosed(this.#window)
        : fromSnapshot(checkSnapshot(initial), this.#window, this.#clock.now());
    reportCircuitState(this.#executor.attributes, this.#current.state);
  }

  /** Listens to every admitted call's outcome (with its duration) and every refusal. @returns a disposer. */
  onOutcome(listener: (outcome: PolicyOutcome) => void): Disposer {
    return this.#executor.onOutcome(listener);
  }

  /**
   * The state the circuit is in. Reading it has no side effect: an open circuit whose break is
   * over reports `open` until the next call attempt moves it to `half-open`.
   */
  get state(): CircuitState {
    return this.#current.state;
  }

  /** Listens to openings. @returns a disposer. */
  onBreak(listener: (event: BreakEvent) => void): Disposer {
    return this.#events.on('break', listener);
  }

  /** Listens to the moves to half-open (on the first call attempt after a break). @returns a disposer. */
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
    if (this.#current.state === 'isolated') return;
    this.#enter(toIsolated(this.#current));
    this.#events.emit('isolate', { at: this.#clock.now() });
  }

  /**
   * Closes the circuit by hand from any state, forgetting its failure statistics and break
   * backoff. On a circuit that is already closed it only forgets (no event is emitted); calls
   * still running from before the reset are not counted in the fresh statistics.
   */
  reset(): void {
    if (this.#current.state !== 'closed') return this.#close();
    this.#current = toClosed(this.#forget());
  }

  /** The state as plain JSON, to save and pass later as `initialState`. Has no side effect. */
  exportState(): CircuitBreakerSnapshot {
    return toSnapshot(this.#current, this.#clock.now());
  }

  /**
   * Runs `fn` if the circuit admits it. The first attempt after a break moves the circuit to
   * half-open and is admitted as a probe.
   * @throws BrokenCircuitError when the circuit is open, isolated, or half-open with every probe
   * slot taken; its `cause` is the failure (error or rejected result) that opened the circuit.
   */
  async execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    throwIfAborted(signal);
    const admittedIn = this.#admit();
    const context = contextFor(signal);
    const startedAt = this.#executor.begin();
    let result: TResult | undefined;
    let failure: unknown;
    let threw = false;
    try {
      result = await fn(context);
    } catch (error) {
      failure = error;
      threw = true;
    }
    let settled: PolicyOutcome<TResult>;
    try {
      settled = threw
        ? this.#executor.failed(failure, context, signal, startedAt)
        : this.#executor.succeeded(result as TResult, context, startedAt);
    } catch (predicateError) {
      // A `handle` or `handleResult` that throws is a bug to surface, not an outcome of the
      // call: it is not counted, and a probe frees its slot so the circuit cannot stick half-open.
      this.#uncounted(admittedIn);
      throw predicateError;
    }
    this.#settle(admittedIn, settled);
    if (settled.outcome === 'aborted') throw abortReason(signal!);
    if ('error' in settled) throw settled.error;
    return settled.result;
  }

  /** Admits a call or throws; returns the state the call was admitted in. */
  #admit(): BreakerState {
    let current = this.#current;
    if (current.state === 'closed') return current;
    if (current.state === 'open' && breakIsOver(current, this.#clock.now())) {
      this.#enter(toHalfOpen(current));
      this.#events.emit('halfOpen', { at: this.#clock.now() });
      // A listener may have isolated or reset the circuit: admit by the state it left.
      current = this.#current;
      if (current.state === 'closed') return current;
    }
    if (current.state !== 'half-open') throw this.#refusal(current);
    if (current.admitted >= this.#options.halfOpenProbes) throw this.#refusal(current);
    current.admitted++;
    return current;
  }

  #refusal(current: OpenState | HalfOpenState | IsolatedState): BrokenCircuitError {
    const reason = current.state === 'half-open' ? 'half-open-busy' : current.state;
    const openUntil = current.state === 'open' ? current.until : undefined;
    const retryAfter = openUntil === undefined ? undefined : Math.max(openUntil - this.#clock.now(), 0);
    // An isolated circuit was opened by hand: no failure caused it.
    const cause = current.state === 'isolated' ? undefined : current.openedBy;
    const error = new BrokenCircuitError(
      { reason, openUntil, retryAfter },
      cause === undefined ? {} : { cause: cause.failure },
    );
    return this.#executor.reject(error, reason);
  }

  #settle(admittedIn: BreakerState, settled: PolicyOutcome): void {
    if (admittedIn !== this.#current) return;
    const outcome: Outcome =
      settled.outcome === 'success'
        ? 'success'
        : settled.outcome === 'failure'
          ? { failure: 'error' in settled ? settled.error : settled.result }
          : 'ignored';
    const slow =
      this.#options.slowCallDuration !== undefined && settled.duration >= this.#options.slowCallDuration;
    if (admittedIn.state === 'half-open') return this.#settleProbe(admittedIn, outcome, slow);
    if (admittedIn.state !== 'closed' || outcome === 'ignored') return;
    const failed = outcome !== 'success';
    const trip = admittedIn.window.record(failed, slow);
    if (trip !== undefined) this.#open(trip, failed ? outcome : undefined);
  }

  /** Forgets a call admitted in `admittedIn` without counting it: a probe frees its slot. */
  #uncounted(admittedIn: BreakerState): void {
    if (admittedIn === this.#current && admittedIn.state === 'half-open') admittedIn.admitted--;
  }

  #settleProbe(probing: HalfOpenState, outcome: Outcome, slow: boolean): void {
    if (outcome === 'ignored') {
      // Free the slot so an aborted or uncounted probe never leaves the circuit stuck half-open.
      probing.admitted--;
    } else if (outcome !== 'success' || slow) {
      this.#open('half-open-failure', outcome === 'success' ? undefined : outcome);
    } else if (++probing.successes >= this.#options.successThreshold) {
      this.#close();
    }
  }

  #open(reason: BreakEvent['reason'], openedBy: OpenedBy | undefined): void {
    const duration = this.#breakDuration(this.#current.breaks + 1);
    const open = this.#enter(toOpen(this.#current, this.#clock.now(), duration, openedBy), {
      'keel.reason': reason,
      'keel.circuit.break_ms': duration,
    });
    this.#events.emit('break', { reason, duration, openUntil: open.until });
  }

  #breakDuration(breaks: number): number {
    const setting = this.#options.breakDuration;
    if (typeof setting === 'number') return setting;
    this.#breakSequence ??= setting.begin();
    return this.#breakSequence.next(breaks);
  }

  /** Closes with fresh statistics, forgetting the break backoff and what opened the circuit. */
  #close(): void {
    this.#enter(toClosed(this.#forget()));
    this.#events.emit('reset', { at: this.#clock.now() });
  }

  /** Forgets the closed-state statistics and the break backoff; returns the emptied window. */
  #forget(): BreakerWindow {
    this.#breakSequence = undefined;
    this.#window.reset();
    return this.#window;
  }

  /** Makes `next` the current state and reports the transition. */
  #enter<TState extends BreakerState>(next: TState, detail?: Record<string, string | number>): TState {
    const from = this.#current.state;
    this.#current = next;
    this.#events.emit('stateChange', { from, to: next.state, at: this.#clock.now() });
    reportCircuitTransition(this.#executor.attributes, from, next.state, detail);
    return next;
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
