import type { EndpointView } from './endpoint.js';

/** What a strategy gets besides the candidates. */
export interface PickContext {
  /** The affinity key of the request, if the caller gave one. */
  readonly key: string | undefined;
  /** Uniform random numbers in [0, 1): the balancer's (seedable) source. */
  readonly random: () => number;
}

/**
 * Chooses an endpoint for each request. Strategies may keep state (a cursor, current weights,
 * a ring); create one per balancer with its factory (`roundRobin()`, `peakEwma()` …).
 */
export interface BalancingStrategy {
  /** A short name for logs and tables, e.g. `p2c-peak-ewma`. */
  readonly name: string;
  /**
   * Picks one of `candidates` (the endpoints in rotation, never empty), or `undefined` to
   * refuse the request.
   */
  pick(candidates: readonly EndpointView[], context: PickContext): EndpointView | undefined;
  /**
   * Told the full list of endpoints (ejected ones included) whenever it changes, before the
   * balancer applies the change. Throwing refuses the change: the balancer then leaves its
   * endpoints as they were and rethrows, so a strategy that throws must keep its previous state.
   */
  onEndpointsChanged?(endpoints: readonly EndpointView[]): void;
}
