/** The answer of a rate limiter to one request for permits. */
export interface RateLimitDecision {
  /** Whether the permits were granted (and taken). */
  readonly allowed: boolean;
  /** Permits still available right after this decision (0 when refused). */
  readonly remaining: number;
  /**
   * When refused: the exact wait in whole ms after which the same request is granted, if no one
   * else takes permits meanwhile (one ms earlier it would still be refused); 0 when allowed.
   */
  readonly retryAfter: number;
}

/** The outcome of applying an algorithm to one key's state. */
export interface RateLimitStep<TState> {
  readonly decision: RateLimitDecision;
  /** The key's new state (what a store writes back, also after a refusal). */
  readonly state: TState;
}

/**
 * A rate-limiting algorithm as a pure step over a key's state, so any store can run it: the
 * in-memory store calls {@link RateLimitAlgorithm.consume}, and a shared store (e.g. Redis)
 * runs the same arithmetic atomically, chosen by `kind` with the numbers in `params`.
 */
export interface RateLimitAlgorithm<TState = unknown> {
  /** Which algorithm this is. */
  readonly kind: 'token-bucket' | 'sliding-window' | 'gcra';
  /** The numbers that define it (capacity, rates, windows), plain JSON. */
  readonly params: Readonly<Record<string, number>>;
  /** The most permits one request may ask for. */
  readonly maxPermits: number;
  /** Takes `permits` at time `now` from `state` (`undefined` for a new key). */
  consume(state: TState | undefined, permits: number, now: number): RateLimitStep<TState>;
}

/**
 * The exact `retryAfter` of a refusal: the smallest whole number of ms `d >= 1` for which
 * `grants(d)` holds, where `grants(d)` applies the algorithm's own decision rule to the state
 * it just stored, at `now + d`. The answer is defined by the decision rule alone, so a caller
 * that waits `retryAfter` is granted and one that waits a millisecond less would not be: no
 * float rounding of a closed form can make it a millisecond too long or too short.
 *
 * `estimate` is the closed-form wait, at most a few ms off; the search gallops from it and then
 * bisects, relying on the rules being monotonic in time (a later request is never worse off).
 */
export function firstGrantDelay(estimate: number, grants: (delay: number) => boolean): number {
  let granted = Number.isFinite(estimate) ? Math.max(Math.ceil(estimate), 1) : 1;
  let refused = 0; // 0 stands for "now", which was refused
  let step = 1;
  if (grants(granted)) {
    // Walk down until a refusal (or "now") bounds the answer from below.
    while (granted - step > refused && grants(granted - step)) {
      granted -= step;
      step *= 2;
    }
    refused = Math.max(granted - step, refused);
  } else {
    refused = granted;
    // Walk up until a grant bounds it from above; the cap only guards against a broken rule.
    for (let tries = 0; tries < 64; tries++) {
      granted = refused + step;
      if (grants(granted)) break;
      refused = granted;
      step *= 2;
    }
  }
  while (granted - refused > 1) {
    const middle = Math.floor((granted + refused) / 2);
    if (grants(middle)) granted = middle;
    else refused = middle;
  }
  return granted;
}
