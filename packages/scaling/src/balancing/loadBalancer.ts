import {
  abortReason,
  assertOptions,
  createEmitter,
  linkedAbortController,
  optionClock,
  optionFunction,
  optionNumber,
  optionObject,
  optionString,
  systemClock,
  throwIfAborted,
  NotFoundError,
  whenAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, Listener, OptionProblem } from '@keel/core';
import type { Endpoint, EndpointStats, EndpointView } from './endpoint.js';
import { EndpointState } from './endpointState.js';
import { NoEndpointAvailableError } from './balancingErrors.js';
import { createLease } from './lease.js';
import type { Lease, LeaseOutcome } from './lease.js';
import { ejectionCap, outlierSettings } from './outlierDetection.js';
import type { OutlierDetectionSettings } from './outlierDetection.js';
import { LOAD_BALANCER_DEFAULTS } from './loadBalancerOptions.js';
import type {
  EjectedEvent,
  ExecuteContext,
  ExecuteOptions,
  LoadBalancerOptions,
  PickOptions,
} from './loadBalancerOptions.js';
import { peakEwma } from './peakEwma.js';
import { BalancerMeter } from './balancerTelemetry.js';
import type { BalancingStrategy } from './strategy.js';

interface BalancerEvents {
  ejected: EjectedEvent;
  restored: { readonly id: string };
}

const SETTINGS_DEFAULTS = Object.freeze({
  ...LOAD_BALANCER_DEFAULTS,
  clock: systemClock,
  random: Math.random,
  isFailure: (_error: unknown): boolean => true,
});

/**
 * Spreads requests over endpoints with a pluggable strategy, tracks in-flight requests and
 * latency per endpoint through leases, and ejects failing endpoints for a while (passive outlier
 * detection). Endpoints can be added and removed at any time; a removed endpoint keeps its
 * in-flight count until its requests finish, and comes back with it if re-added meanwhile.
 *
 * @example
 * ```ts
 * const lb = new LoadBalancer([
 *   { id: 'a', value: 'http://10.0.0.1' },
 *   { id: 'b', value: 'http://10.0.0.2' },
 * ]);
 * const body = await lb.execute((base, { signal }) => fetch(`${base}/users/7`, { signal }));
 * ```
 */
export class LoadBalancer<TValue> {
  readonly #strategy: BalancingStrategy;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #outliers: OutlierDetectionSettings | undefined;
  readonly #decayMs: number;
  readonly #initialLatencyMs: number;
  readonly #isFailure: (error: unknown) => boolean;
  readonly #meter: BalancerMeter;
  readonly #active = new Map<string, EndpointState<TValue>>();
  readonly #draining = new Map<string, EndpointState<TValue>>();
  readonly #events = createEmitter<BalancerEvents>({ onListenerError: () => {} });

  /**
   * @param endpoints The initial endpoints; ids must be unique.
   * @param options Strategy, clock, randomness, outlier detection and latency settings; an
   *   option left out or `undefined` keeps its default.
   * @throws {ValidationError} When an option or a weight is out of range, an option is of the
   *   wrong kind, two endpoints share an id, or the strategy refuses the endpoints (e.g.
   *   `consistentHashAffinity()` when its ring would exceed `HASH_RING_LIMITS.maxPoints`).
   */
  constructor(endpoints: Iterable<Endpoint<TValue>> = [], options: LoadBalancerOptions = {}) {
    const settings = withDefaults(SETTINGS_DEFAULTS, options);
    const outliers = outlierSettings(settings.outlierDetection);
    assertOptions('LoadBalancer', {
      strategy: optionObject(settings.strategy, 'a BalancingStrategy', ['pick']),
      clock: optionClock(settings.clock, ['now']),
      random: optionFunction(settings.random),
      isFailure: optionFunction(settings.isFailure),
      latencyDecayMs: optionNumber(settings.latencyDecayMs, { min: 0, exclusiveMin: true }),
      initialLatencyMs: optionNumber(settings.initialLatencyMs, { min: 0 }),
      name: optionString(settings.name),
      ...outliers.checks,
    });
    this.#strategy = settings.strategy ?? peakEwma();
    this.#clock = settings.clock;
    this.#random = settings.random;
    this.#outliers = outliers.settings;
    this.#decayMs = settings.latencyDecayMs;
    this.#initialLatencyMs = settings.initialLatencyMs;
    this.#isFailure = settings.isFailure;
    this.#meter = new BalancerMeter(settings.name);
    const initial = [...endpoints];
    checkEndpoints(initial, new Set());
    for (const endpoint of initial) this.#active.set(endpoint.id, this.#newState(endpoint));
    this.#changed([...this.#active.values()]);
  }

  /** The strategy's name. */
  get strategyName(): string {
    return this.#strategy.name;
  }

  /** How many endpoints are configured (ejected ones included, draining ones not). */
  get size(): number {
    return this.#active.size;
  }

  /** Requests in flight over all endpoints, draining ones included. */
  get inFlight(): number {
    let total = 0;
    for (const state of this.#active.values()) total += state.inFlight;
    for (const state of this.#draining.values()) total += state.inFlight;
    return total;
  }

  /**
   * Adds an endpoint to rotation. An endpoint removed but still draining may be added again: it
   * comes back with its in-flight requests. To change the value or weight of an endpoint in
   * rotation, use {@link LoadBalancer.update}.
   *
   * A refused endpoint changes nothing.
   *
   * @throws {ValidationError} When an endpoint with the same id is already in rotation, the id
   *   or weight is invalid, or the strategy refuses it (e.g. `consistentHashAffinity()` when
   *   its ring would exceed `HASH_RING_LIMITS.maxPoints`).
   */
  add(endpoint: Endpoint<TValue>): this {
    checkEndpoints([endpoint], new Set(this.#active.keys()));
    // Re-adding a draining endpoint revives its record, in-flight requests included.
    const state = this.#draining.get(endpoint.id) ?? this.#newState(endpoint);
    this.#reconfigure(state, endpoint, [...this.#active.values(), state]);
    this.#draining.delete(endpoint.id);
    state.removed = false;
    this.#active.set(endpoint.id, state);
    // A revived endpoint may still be ejected.
    this.#liftExcessEjections();
    return this;
  }

  /**
   * Replaces the value and weight of the endpoint in rotation with the same id, keeping its
   * in-flight count, latency estimate and ejection state (a weight left out becomes 1). A
   * refused update changes nothing.
   *
   * @throws {NotFoundError} When no endpoint with that id is in rotation.
   * @throws {ValidationError} When the weight is invalid, or the strategy refuses it (e.g.
   *   `consistentHashAffinity()` when its ring would exceed `HASH_RING_LIMITS.maxPoints`).
   */
  update(endpoint: Endpoint<TValue>): this {
    checkEndpoints([endpoint], new Set());
    const state = this.#active.get(endpoint.id);
    if (state === undefined) throw new NotFoundError('endpoint', endpoint.id);
    this.#reconfigure(state, endpoint, [...this.#active.values()]);
    return this;
  }

  /**
   * Takes an endpoint out of rotation. Its requests in flight keep being tracked until they
   * end (see {@link LoadBalancer.whenDrained}). Returns whether it was configured.
   *
   * The endpoints left keep the ejection bound: if more of them are ejected than
   * `maxEjectedFraction` allows, or all of them, those due back soonest return to rotation at
   * once (`onRestored` is told). So while the balancer has endpoints, one can always be picked.
   *
   * @throws When the strategy refuses the smaller set of endpoints; nothing is removed then.
   */
  remove(id: string): boolean {
    const state = this.#active.get(id);
    if (state === undefined) return false;
    this.#changed([...this.#active.values()].filter((other) => other !== state));
    this.#active.delete(id);
    this.#meter.forget(id);
    state.removed = true;
    if (state.inFlight > 0) this.#draining.set(id, state);
    this.#liftExcessEjections();
    return true;
  }

  /** Resolves once endpoint `id` has no request in flight (at once if it has none or is unknown). */
  whenDrained(id: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const state = this.#active.get(id) ?? this.#draining.get(id);
    if (state === undefined || state.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let stopFollowing = (): void => {};
      const removeWaiter = state.onDrained(() => {
        stopFollowing();
        resolve();
      });
      if (signal !== undefined) {
        stopFollowing = whenAborted(signal, () => {
          removeWaiter();
          reject(abortReason(signal));
        });
      }
    });
  }

  /** The configured endpoints as live views, in insertion order. */
  endpoints(): EndpointView<TValue>[] {
    return [...this.#active.values()];
  }

  /** A snapshot of every endpoint's counters, draining ones last. */
  stats(): EndpointStats[] {
    this.#restoreDue();
    return [...this.#active.values(), ...this.#draining.values()].map((state) => state.snapshot());
  }

  /** Registers a listener for ejections; returns its disposer. */
  onEjected(listener: Listener<EjectedEvent>): Disposer {
    return this.#events.on('ejected', listener);
  }

  /** Registers a listener for endpoints returning to rotation; returns its disposer. */
  onRestored(listener: Listener<{ readonly id: string }>): Disposer {
    return this.#events.on('restored', listener);
  }

  /**
   * Picks an endpoint and leases it: it counts as in flight until the lease ends.
   * @throws {NoEndpointAvailableError} When no endpoint is in rotation or the strategy refuses.
   */
  acquire(options: PickOptions = {}): Lease<TValue> {
    const candidates = this.#candidates();
    const picked =
      candidates.length === 0
        ? undefined
        : (this.#strategy.pick(candidates, { key: options.key, random: this.#random }) as
            EndpointState<TValue> | undefined);
    if (picked === undefined) {
      this.#meter.unavailable();
      throw new NoEndpointAvailableError(
        this.#active.size,
        this.#active.size - candidates.length,
        this.#strategy.name,
      );
    }
    picked.inFlight++;
    const counted = this.#meter.picked(picked.id);
    const startedAt = this.#clock.now();
    return createLease<TValue>(picked, startedAt, (outcome) => {
      if (counted) this.#meter.finished(picked.id);
      this.#end(picked, startedAt, outcome);
    });
  }

  /**
   * Runs `fn` against a chosen endpoint, tracking it as in flight and recording its latency and
   * outcome. Errors are rethrown; those `isFailure` accepts count against the endpoint, and an
   * abort through `signal` counts as neither success nor failure. The request always stops
   * being in flight when `fn` settles: if `isFailure` itself throws, the outcome counts as
   * neither and `execute` rejects with what `isFailure` threw (a bug in the classifier), not
   * with `fn`'s error.
   *
   * @throws {NoEndpointAvailableError} When no endpoint is available.
   */
  async execute<TResult>(
    fn: (value: TValue, context: ExecuteContext<TValue>) => Promise<TResult> | TResult,
    options: ExecuteOptions = {},
  ): Promise<TResult> {
    throwIfAborted(options.signal);
    const lease = this.acquire(options);
    // A signal of this call only: whatever `fn` hangs on it never piles up on a shared signal.
    const call = linkedAbortController(options.signal);
    try {
      const result = await fn(lease.endpoint.value, { signal: call.signal, endpoint: lease.endpoint });
      lease.success();
      return result;
    } catch (error) {
      this.#endAfterError(lease, error, options.signal);
      throw error;
    } finally {
      call.dispose();
    }
  }

  /** Ends the lease of a call whose `fn` threw, releasing it even when `isFailure` throws. */
  #endAfterError(lease: Lease<TValue>, error: unknown, signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      lease.release();
      return;
    }
    let failed: boolean;
    try {
      failed = this.#isFailure(error);
    } catch (classifierError) {
      lease.release();
      throw classifierError;
    }
    if (failed) lease.failure(error);
    else lease.success();
  }

  #newState(endpoint: Endpoint<TValue>): EndpointState<TValue> {
    return new EndpointState(
      endpoint.id,
      endpoint.value,
      endpoint.weight ?? 1,
      this.#clock,
      this.#decayMs,
      this.#initialLatencyMs,
    );
  }

  /**
   * Gives `state` the endpoint's value and weight and tells the strategy the endpoints will be
   * `next`. If the strategy refuses them (throws), the old value and weight come back first, so
   * a refused change changes nothing.
   */
  #reconfigure(
    state: EndpointState<TValue>,
    endpoint: Endpoint<TValue>,
    next: EndpointState<TValue>[],
  ): void {
    const { value, weight } = state;
    state.value = endpoint.value;
    state.weight = endpoint.weight ?? 1;
    try {
      this.#changed(next);
    } catch (error) {
      state.value = value;
      state.weight = weight;
      throw error;
    }
  }

  /**
   * Tells the strategy which endpoints are in rotation, before the balancer's own records change:
   * the strategy may refuse them by throwing.
   */
  #changed(next: readonly EndpointState<TValue>[]): void {
    this.#strategy.onEndpointsChanged?.(next);
  }

  #candidates(): EndpointState<TValue>[] {
    this.#restoreDue();
    const candidates: EndpointState<TValue>[] = [];
    for (const state of this.#active.values())
      if (state.outlier.ejectedUntil === undefined) candidates.push(state);
    return candidates;
  }

  #restoreDue(): void {
    const now = this.#clock.now();
    for (const state of this.#active.values()) {
      const until = state.outlier.ejectedUntil;
      if (until !== undefined && until <= now) this.#restore(state, until);
    }
  }

  #restore(state: EndpointState<TValue>, at: number): void {
    state.outlier.restore(at);
    this.#events.emit('restored', { id: state.id });
  }

  /**
   * Brings ejected endpoints back early, those due back soonest first, until no more are ejected
   * than the endpoints in rotation allow (see {@link ejectionCap}): a removal, or a draining
   * ejected endpoint added again, never leaves only ejected endpoints in rotation.
   */
  #liftExcessEjections(): void {
    if (this.#outliers === undefined) return;
    this.#restoreDue();
    const ejected = [...this.#active.values()].filter((state) => state.outlier.ejectedUntil !== undefined);
    const excess = ejected.length - ejectionCap(this.#active.size, this.#outliers);
    if (excess <= 0) return;
    ejected.sort((a, b) => a.outlier.ejectedUntil! - b.outlier.ejectedUntil!);
    const now = this.#clock.now();
    for (const state of ejected.slice(0, excess)) this.#restore(state, now);
  }

  #end(state: EndpointState<TValue>, startedAt: number, outcome: LeaseOutcome): void {
    state.finish();
    if (state.removed && state.inFlight === 0) this.#draining.delete(state.id);
    if (outcome === 'released') return;
    const ok = outcome === 'success';
    state.requests++;
    if (!ok) state.failures++;
    state.observe(this.#clock.now() - startedAt);
    if (this.#outliers === undefined || state.removed || state.outlier.ejectedUntil !== undefined) return;
    const reason = state.outlier.record(ok, this.#clock.now(), this.#outliers);
    if (reason !== undefined && this.#mayEject()) {
      const until = state.outlier.eject(this.#clock.now(), this.#outliers);
      this.#meter.ejected(state.id, reason);
      this.#events.emit('ejected', { id: state.id, reason, until, ejections: state.outlier.ejections });
    }
  }

  #mayEject(): boolean {
    let ejected = 0;
    for (const state of this.#active.values()) if (state.outlier.ejectedUntil !== undefined) ejected++;
    return ejected < ejectionCap(this.#active.size, this.#outliers!);
  }
}

/**
 * Checks ids and weights of endpoints about to be added, all before any is added: an id must be
 * a non-empty string used once (among `taken` and the batch), a weight a finite number above 0.
 */
function checkEndpoints(endpoints: readonly Endpoint<unknown>[], taken: ReadonlySet<string>): void {
  const checks: Record<string, OptionProblem> = {};
  const seen = new Set(taken);
  endpoints.forEach((endpoint, index) => {
    const id: unknown = endpoint?.id;
    const repeated = typeof id === 'string' && seen.has(id);
    checks[`endpoints.${index}.id`] = repeated
      ? `repeats the id "${id}" of another endpoint; ids must be unique (update() changes an endpoint in rotation).`
      : optionString(id, true);
    checks[`endpoints.${index}.weight`] = optionNumber(endpoint?.weight, { min: 0, exclusiveMin: true });
    if (typeof id === 'string') seen.add(id);
  });
  assertOptions('LoadBalancer endpoint', checks);
}
