/** An endpoint to balance over: a stable id, the value handed to callers, and a weight. */
export interface Endpoint<TValue> {
  /** Stable id, unique within a balancer, e.g. `10.0.0.7:8080`. */
  readonly id: string;
  /** What `execute` passes to the callback: a URL, a client, a connection pool … */
  readonly value: TValue;
  /** Relative capacity for weighted strategies. @default 1 */
  readonly weight?: number | undefined;
}

/**
 * What a strategy (and a caller) can see of an endpoint: identity, weight and live load.
 * Values are read at the moment of the call.
 */
export interface EndpointView<TValue = unknown> {
  readonly id: string;
  readonly value: TValue;
  readonly weight: number;
  /** Requests currently leased to this endpoint. */
  readonly inFlight: number;
  /** Peak-EWMA latency estimate in ms at the balancer clock's current time. */
  latencyMs(): number;
}

/** Counters and state of one endpoint, as returned by {@link LoadBalancer.stats}. */
export interface EndpointStats {
  readonly id: string;
  readonly weight: number;
  readonly inFlight: number;
  /** Completed requests (successes plus failures). */
  readonly requests: number;
  readonly failures: number;
  /** Peak-EWMA latency estimate in ms. */
  readonly latencyMs: number;
  /** Whether outlier detection currently keeps this endpoint out of rotation. */
  readonly ejected: boolean;
  /** When the current ejection ends (clock ms), if ejected. */
  readonly ejectedUntil: number | undefined;
  /** How many times this endpoint has been ejected (decays while it stays healthy). */
  readonly ejections: number;
  /** Whether it was removed but still has requests in flight. */
  readonly draining: boolean;
}
