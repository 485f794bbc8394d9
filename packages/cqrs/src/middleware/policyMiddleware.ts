import { assertOptions, optionObject } from '@keel/core';
import type { Policy } from '@keel/core';
import { existingSignal } from '../dispatch/dispatchContext.js';
import type { Middleware } from './middleware.js';

/**
 * Runs the rest of the pipeline under any core `Policy`: a `@keel/resilience` retry, circuit
 * breaker, bulkhead or `pipeline(...)` of them. The handler gets the policy's signal, so a
 * policy timeout or cancellation reaches it, and the caller's signal is handed to the policy.
 *
 * @param policy The policy to run handlers under.
 * @throws {ValidationError} at construction when `policy` is not a core `Policy`.
 * @example
 * ```ts
 * const commands = createCommandBus({ middleware: [policyMiddleware(pipeline(retry(), circuitBreaker()))] });
 * ```
 */
export function policyMiddleware(policy: Policy): Middleware {
  assertOptions('policyMiddleware', { policy: optionObject(policy, 'a Policy', ['execute'], true) });
  const step: Middleware = (context, next) =>
    policy.execute(({ signal }) => next({ signal }), existingSignal(context));
  // Named for traces: each middleware step shows as `middleware {name}`.
  return Object.defineProperty(step, 'name', { value: 'policy' });
}
