import type { EndpointView } from './endpoint.js';

/** How a lease ended. */
export type LeaseOutcome = 'success' | 'failure' | 'released';

/**
 * One request's claim on an endpoint, from {@link LoadBalancer.acquire}: it counts as in
 * flight until ended. End it exactly once (later calls are ignored): `success()` and
 * `failure()` record the latency since acquisition and feed outlier detection; `release()`
 * (also `using`/`Symbol.dispose`) records nothing, e.g. when the caller gave up.
 */
export interface Lease<TValue> {
  /** The chosen endpoint. */
  readonly endpoint: EndpointView<TValue>;
  /** When the lease was taken, in clock ms. */
  readonly startedAt: number;
  /** Whether the lease has ended. */
  readonly ended: boolean;
  /** Ends the lease as a success. */
  success(): void;
  /** Ends the lease as a failure of the endpoint. */
  failure(error?: unknown): void;
  /** Ends the lease without an outcome. */
  release(): void;
  [Symbol.dispose](): void;
}

/** Creates a lease that calls `end` once with its outcome. */
export function createLease<TValue>(
  endpoint: EndpointView<TValue>,
  startedAt: number,
  end: (outcome: LeaseOutcome) => void,
): Lease<TValue> {
  let ended = false;
  const finish = (outcome: LeaseOutcome): void => {
    if (ended) return;
    ended = true;
    end(outcome);
  };
  return {
    endpoint,
    startedAt,
    get ended() {
      return ended;
    },
    success: () => finish('success'),
    failure: () => finish('failure'),
    release: () => finish('released'),
    [Symbol.dispose]: () => finish('released'),
  };
}
