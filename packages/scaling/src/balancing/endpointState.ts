import type { Clock } from '@keel/core';
import { PeakEwma } from '../internal/peakEwmaEstimator.js';
import type { EndpointStats, EndpointView } from './endpoint.js';
import { OutlierState } from './outlierDetection.js';

/** The balancer's live record of one endpoint; strategies see it as an {@link EndpointView}. */
export class EndpointState<TValue> implements EndpointView<TValue> {
  readonly id: string;
  value: TValue;
  weight: number;
  inFlight = 0;
  requests = 0;
  failures = 0;
  removed = false;
  readonly outlier = new OutlierState();
  readonly #ewma: PeakEwma;
  readonly #clock: Clock;
  #drainWaiters: (() => void)[] = [];

  constructor(
    id: string,
    value: TValue,
    weight: number,
    clock: Clock,
    decayMs: number,
    initialLatencyMs: number,
  ) {
    this.id = id;
    this.value = value;
    this.weight = weight;
    this.#clock = clock;
    this.#ewma = new PeakEwma(decayMs, initialLatencyMs, clock.now());
  }

  latencyMs(): number {
    return this.#ewma.value(this.#clock.now());
  }

  /** Records a finished request's latency. */
  observe(latencyMs: number): void {
    this.#ewma.observe(latencyMs, this.#clock.now());
  }

  /** Decrements in-flight and wakes drain waiters when it reaches zero. */
  finish(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Registers a callback for when in-flight reaches zero; returns its remover. */
  onDrained(wake: () => void): () => void {
    this.#drainWaiters.push(wake);
    return () => {
      this.#drainWaiters = this.#drainWaiters.filter((waiter) => waiter !== wake);
    };
  }

  snapshot(): EndpointStats {
    return {
      id: this.id,
      weight: this.weight,
      inFlight: this.inFlight,
      requests: this.requests,
      failures: this.failures,
      latencyMs: this.latencyMs(),
      ejected: this.outlier.ejectedUntil !== undefined,
      ejectedUntil: this.outlier.ejectedUntil,
      ejections: this.outlier.ejections,
      draining: this.removed,
    };
  }
}
