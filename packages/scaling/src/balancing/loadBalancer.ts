import { abortReason, createEmitter, systemClock, throwIfAborted } from '@keel/core';
import type { Clock, Disposer, Listener } from '@keel/core';
import { assertOptions, numberIn, numberAbove } from '../internal/options.js';
import type { Endpoint, EndpointStats, EndpointView } from './endpoint.js';
import { EndpointState } from './endpointState.js';
import { NoEndpointAvailableError } from './errors.js';
import { createLease } from './lease.js';
import type { Lease, LeaseOutcome } from './lease.js';
import { outlierSettings } from './outlierDetection.js';
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
import type { BalancingStrategy } from './strategy.js';

interface BalancerEvents {
  ejected: EjectedEvent;
  restored: { readonly id: string };
}

const NEVER_ABORTED = new AbortController().signal;

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
  readonly #active = new Map<string, EndpointState<TValue>>();
  readonly #draining = new Map<string, EndpointState<TValue>>();
  readonly #events = createEmitter<BalancerEvents>({ onListenerError: () => {} });

  /**
   * @param endpoints The initial endpoints.
   * @param options Strategy, clock, randomness, outlier detection and latency settings.
   * @throws {ValidationError} When an option or a weight is out of range, or ids repeat.
   */
  constructor(endpoints: Iterable<Endpoint<TValue>> = [], options: LoadBalancerOptions = {}) {
    this.#strategy = options.strategy ?? peakEwma();
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#outliers =
      options.outlierDetection === false ? undefined : outlierSettings(options.outlierDetection ?? {});
    this.#decayMs = options.latencyDecayMs ?? LOAD_BALANCER_DEFAULTS.latencyDecayMs;
    this.#initialLatencyMs = options.initialLatencyMs ?? LOAD_BALANCER_DEFAULTS.initialLatencyMs;
    this.#isFailure = options.isFailure ?? (() => true);
    assertOptions('LoadBalancer options', [
      ['latencyDecayMs', numberAbove(this.#decayMs, 0)],
      ['initialLatencyMs', numberIn(this.#initialLatencyMs, 0)],
    ]);
    for (const endpoint of endpoints) this.#put(endpoint);
    this.#changed();
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

  /** Adds an endpoint, or updates the value and weight of the one with the same id. */
  add(endpoint: Endpoint<TValue>): this {
    this.#put(endpoint);
    this.#changed();
    return this;
  }

  /**
   * Takes an endpoint out of rotation. Its requests in flight keep being tracked until they
   * end (see {@link LoadBalancer.whenDrained}). Returns whether it was configured.
   */
  remove(id: string): boolean {
    const state = this.#active.get(id);
    if (state === undefined) return false;
    this.#active.delete(id);
    state.removed = true;
    if (state.inFlight > 0) this.#draining.set(id, state);
    this.#changed();
    return true;
  }

  /** Resolves once endpoint `id` has no request in flight (at once if it has none or is unknown). */
  whenDrained(id: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const state = this.#active.get(id) ?? this.#draining.get(id);
    if (state === undefined || state.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        removeWaiter();
        reject(abortReason(signal!));
      };
      const removeWaiter = state.onDrained(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
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
      throw new NoEndpointAvailableError(
        this.#active.size,
        this.#active.size - candidates.length,
        this.#strategy.name,
      );
    }
    picked.inFlight++;
    const startedAt = this.#clock.now();
    return createLease<TValue>(picked, startedAt, (outcome) => this.#end(picked, startedAt, outcome));
  }

  /**
   * Runs `fn` against a chosen endpoint, tracking it as in flight and recording its latency and
   * outcome. Errors are rethrown; those `isFailure` accepts count against the endpoint, and an
   * abort through `signal` counts as neither success nor failure.
   *
   * @throws {NoEndpointAvailableError} When no endpoint is available.
   */
  async execute<TResult>(
    fn: (value: TValue, context: ExecuteContext<TValue>) => Promise<TResult> | TResult,
    options: ExecuteOptions = {},
  ): Promise<TResult> {
    throwIfAborted(options.signal);
    const lease = this.acquire(options);
    try {
      const result = await fn(lease.endpoint.value, {
        signal: options.signal ?? NEVER_ABORTED,
        endpoint: lease.endpoint,
      });
      lease.success();
      return result;
    } catch (error) {
      if (options.signal?.aborted) lease.release();
      else if (this.#isFailure(error)) lease.failure(error);
      else lease.success();
      throw error;
    }
  }

  #put(endpoint: Endpoint<TValue>): void {
    const weight = endpoint.weight ?? 1;
    assertOptions(`endpoint "${endpoint.id}"`, [['weight', numberAbove(weight, 0)]]);
    const existing = this.#active.get(endpoint.id) ?? this.#draining.get(endpoint.id);
    if (existing !== undefined) {
      // Re-adding a draining endpoint revives its record, in-flight requests included.
      this.#draining.delete(endpoint.id);
      existing.removed = false;
      existing.value = endpoint.value;
      existing.weight = weight;
      this.#active.set(endpoint.id, existing);
      return;
    }
    const state = new EndpointState(
      endpoint.id,
      endpoint.value,
      weight,
      this.#clock,
      this.#decayMs,
      this.#initialLatencyMs,
    );
    this.#active.set(endpoint.id, state);
  }

  #changed(): void {
    this.#strategy.onEndpointsChanged?.([...this.#active.values()]);
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
      if (until !== undefined && until <= now) {
        state.outlier.restore();
        this.#events.emit('restored', { id: state.id });
      }
    }
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
      this.#events.emit('ejected', { id: state.id, reason, until, ejections: state.outlier.ejections });
    }
  }

  #mayEject(): boolean {
    let ejected = 0;
    for (const state of this.#active.values()) if (state.outlier.ejectedUntil !== undefined) ejected++;
    const total = this.#active.size;
    const cap = Math.max(1, Math.floor(this.#outliers!.maxEjectedFraction * total));
    return ejected < cap && total - ejected > 1;
  }
}
