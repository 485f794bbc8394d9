import type { Clock } from '@keel/core';
import type { EndpointView } from './endpoint.js';
import type { EjectionReason, OutlierDetectionOptions } from './outlierDetection.js';
import type { BalancingStrategy } from './strategy.js';

/** Options of {@link LoadBalancer}; an option left out or `undefined` keeps its default. */
export interface LoadBalancerOptions {
  /** How endpoints are chosen. @default peakEwma() */
  strategy?: BalancingStrategy | undefined;
  /** Source of time for latency and ejections. @default systemClock */
  clock?: Clock | undefined;
  /** Uniform random numbers in [0, 1) for the strategies; pass a seeded one for reproducibility. @default Math.random */
  random?: (() => number) | undefined;
  /** Passive outlier detection settings, or `false` to never eject. @default OUTLIER_DETECTION_DEFAULTS */
  outlierDetection?: OutlierDetectionOptions | false | undefined;
  /** Time constant of the peak-EWMA latency decay, in ms. @default 10_000 */
  latencyDecayMs?: number | undefined;
  /** Latency estimate of a new endpoint before any response, in ms. @default 0 */
  initialLatencyMs?: number | undefined;
  /** Which errors thrown by `execute` callbacks count against the endpoint. @default every error */
  isFailure?: ((error: unknown) => boolean) | undefined;
  /** Names the balancer in its metrics (`keel.balancer.name`); keep it low cardinality. @default 'default' */
  name?: string | undefined;
}

/** The defaults of {@link LoadBalancerOptions}. */
export const LOAD_BALANCER_DEFAULTS = Object.freeze({
  latencyDecayMs: 10_000,
  initialLatencyMs: 0,
  name: 'default',
});

/** Options of one {@link LoadBalancer.execute} or {@link LoadBalancer.acquire} call. */
export interface PickOptions {
  /** Affinity key for hashing strategies (user id, cache key …). */
  key?: string | undefined;
}

/** Options of {@link LoadBalancer.execute}. */
export interface ExecuteOptions extends PickOptions {
  /** Cancels the call; an abort releases the lease without counting a failure. */
  signal?: AbortSignal | undefined;
}

/** What the callback of {@link LoadBalancer.execute} receives besides the endpoint value. */
export interface ExecuteContext<TValue> {
  /**
   * A signal of this call only, aborted with the caller's reason when the caller's signal
   * aborts. Each call gets its own, so listeners the callback adds (`fetch`, `clock.sleep`)
   * never pile up on a signal shared by concurrent calls.
   */
  readonly signal: AbortSignal;
  /** The chosen endpoint. */
  readonly endpoint: EndpointView<TValue>;
}

/** Payload of the `ejected` event. */
export interface EjectedEvent {
  readonly id: string;
  readonly reason: EjectionReason;
  /** When the endpoint returns to rotation, in clock ms. */
  readonly until: number;
  /** How many times it has been ejected (the duration multiplier). */
  readonly ejections: number;
}
