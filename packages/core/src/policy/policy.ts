import { signalContext } from '../concurrency/signals.js';
import { throwIfAborted } from '../errors/abort.js';

/** What a {@link Policy} hands to the function it runs. */
export interface PolicyContext {
  /** Aborted when the caller cancels or a policy (e.g. a timeout) gives up on this call. */
  readonly signal: AbortSignal;
}

/**
 * Anything that runs a function on the caller's behalf: a retry, a circuit breaker, a timeout,
 * a pipeline of them. `@keel/resilience` implements it; `@keel/cqrs` and `@keel/saga` accept
 * any implementation.
 *
 * @example
 * ```ts
 * const user = await policy.execute(({ signal }) => fetch(url, { signal }), request.signal);
 * ```
 */
export interface Policy<TContext extends PolicyContext = PolicyContext> {
  /**
   * Runs `fn` under this policy. Rejects with the abort reason if `signal` aborts.
   */
  execute<TResult>(
    fn: (context: TContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult>;
}

/** A policy that just runs the function: the neutral element of composition. */
export const noopPolicy: Policy = Object.freeze({
  async execute<TResult>(
    fn: (context: PolicyContext) => PromiseLike<TResult> | TResult,
    signal?: AbortSignal,
  ): Promise<TResult> {
    throwIfAborted(signal);
    return fn(signalContext(signal));
  },
});
