import { createEmitter, noopLogger } from '@keel/core';
import type { Emitter, Logger } from '@keel/core';

/**
 * An emitter for policy events whose throwing listeners are logged, never thrown into the
 * call that triggered the event: a bad listener must not fail a user's request.
 */
export function policyEmitter<TEvents extends object>(
  policy: string,
  logger: Logger = noopLogger,
): Emitter<TEvents> {
  return createEmitter<TEvents>({
    onListenerError: (error, event) =>
      logger.error(`A listener of ${policy} "${event}" threw; the call goes on.`, { policy, event, error }),
  });
}
