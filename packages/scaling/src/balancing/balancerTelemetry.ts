import { addSpanEvent, recordMetric, telemetryEnabled } from '@keel/core';
import type { Attributes } from '@keel/core';
import {
  BALANCER_EJECTIONS,
  BALANCER_IN_FLIGHT,
  BALANCER_PICKS,
  BALANCER_UNAVAILABLE,
} from '../internal/telemetry.js';
import type { EjectionReason } from './outlierDetection.js';

/**
 * Records the metrics of one load balancer, by balancer name and endpoint id. Endpoint ids are
 * the configured endpoints, a small fixed set, so they are fit as metric attributes.
 */
export class BalancerMeter {
  readonly #name: string;
  readonly #unavailable: Attributes;
  readonly #endpoints = new Map<string, Attributes>();

  constructor(name: string) {
    this.#name = name;
    this.#unavailable = Object.freeze({ 'keel.balancer.name': name });
  }

  /** Counts a pick of endpoint `id` and one more request in flight; returns whether it did. */
  picked(id: string): boolean {
    if (!telemetryEnabled()) return false;
    const attributes = this.#of(id);
    recordMetric(BALANCER_PICKS, 1, attributes);
    recordMetric(BALANCER_IN_FLIGHT, 1, attributes);
    return true;
  }

  /** One request of endpoint `id` finished (only for picks that {@link picked} counted). */
  finished(id: string): void {
    recordMetric(BALANCER_IN_FLIGHT, -1, this.#of(id));
  }

  /** A pick found no endpoint available. */
  unavailable(): void {
    recordMetric(BALANCER_UNAVAILABLE, 1, this.#unavailable);
  }

  /**
   * Endpoint `id` was ejected by outlier detection: counted, and noted as a
   * `balancer.ejected` event on the span of the call whose outcome caused it.
   */
  ejected(id: string, reason: EjectionReason): void {
    if (!telemetryEnabled()) return;
    const attributes = { ...this.#of(id), 'keel.balancer.ejection.reason': reason };
    recordMetric(BALANCER_EJECTIONS, 1, attributes);
    addSpanEvent('balancer.ejected', attributes);
  }

  /** Forgets the attributes of a removed endpoint. */
  forget(id: string): void {
    this.#endpoints.delete(id);
  }

  #of(id: string): Attributes {
    let attributes = this.#endpoints.get(id);
    if (attributes === undefined) {
      attributes = Object.freeze({ 'keel.balancer.name': this.#name, 'keel.endpoint.id': id });
      this.#endpoints.set(id, attributes);
    }
    return attributes;
  }
}
