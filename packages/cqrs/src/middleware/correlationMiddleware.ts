import type { Message } from '@keel/core';
import { messageScope } from '../internal/messageScope.js';
import type { Middleware } from './middleware.js';

/**
 * Propagates correlation and causation: while a message is handled it is kept in an
 * `AsyncLocalStorage` scope, and every command, query or event sent through a Keel bus from
 * inside that handler (however deep in its awaits) that does not name a cause yet is stamped
 * with the handled message's correlation id and gets its message id as causation id.
 *
 * Without this middleware, pass the cause explicitly: every handler receives `context.message`,
 * so `createEvent(type, data, { causedBy: context.message })` does the same.
 *
 * @example
 * ```ts
 * const commands = createCommandBus({ middleware: [correlationMiddleware()] });
 * const events = createEventBus({ middleware: [correlationMiddleware()] });
 * ```
 */
export function correlationMiddleware(): Middleware {
  const correlation: Middleware = (context, next) => messageScope.run(context.message, next);
  return correlation;
}

/** The message whose handler is running in the current async context (see {@link correlationMiddleware}). */
export function currentMessage(): Message | undefined {
  return messageScope.getStore();
}
