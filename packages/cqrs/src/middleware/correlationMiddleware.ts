import { assertOptions, optionBoolean, withDefaults } from '@keel/core';
import type { Message } from '@keel/core';
import { withInlineStep } from '../dispatch/compose.js';
import { runInScope, scopedMessage } from '../internal/messageScope.js';
import type { Middleware } from './middleware.js';

/** Options of {@link correlationMiddleware}; an option that is `undefined` keeps its default. */
export interface CorrelationMiddlewareOptions {
  /**
   * Keep the handled message in an `AsyncLocalStorage` scope, so that every message sent through
   * a Keel bus from inside its handler (however deep in its awaits) that names no cause yet is
   * stamped as caused by it, and {@link currentMessage} returns it.
   *
   * Off by default because of what it costs the whole process on Node 20 and 22: entering an
   * `AsyncLocalStorage` switches on async_hooks promise hooks, after which every `await` in the
   * application (not only in Keel) costs about twice as much.
   * @default false
   */
  ambient?: boolean | undefined;
}

/** The defaults of {@link CorrelationMiddlewareOptions}. */
export const CORRELATION_DEFAULTS = Object.freeze({ ambient: false });

/**
 * Propagates correlation and causation. By default it is explicit and costs one function call:
 * correlation travels in each message's metadata, and a handler passes its message on as the
 * cause of what it sends, `createEvent(type, data, { causedBy: context.message })` or
 * `commands.send(type, data, { causedBy: context.message })`; a message with no correlation id
 * (built by hand or by another system) gets its own message id as correlation id here.
 *
 * With `{ ambient: true }` the handled message is also kept in an `AsyncLocalStorage` scope and
 * messages sent from inside the handler are stamped automatically (see
 * {@link CorrelationMiddlewareOptions.ambient} for what that costs).
 *
 * @throws {ValidationError} at construction when `ambient` is not a boolean.
 * @example
 * ```ts
 * const commands = createCommandBus({ middleware: [correlationMiddleware()] });
 * commands.register('Open', (command, context) =>
 *   events.publish([createEvent('Opened', command.data, { causedBy: context.message })]),
 * );
 * // Or let every message sent from a handler be stamped for you:
 * const stamped = createCommandBus({ middleware: [correlationMiddleware({ ambient: true })] });
 * ```
 */
export function correlationMiddleware(options: CorrelationMiddlewareOptions = {}): Middleware {
  const { ambient } = withDefaults(CORRELATION_DEFAULTS, options);
  assertOptions('correlationMiddleware', { ambient: optionBoolean(ambient) });
  // Named functions: telemetry shows each middleware step by its function name.
  if (ambient) {
    return function correlation(context, next) {
      const message = correlated(context.message);
      return runInScope(message, message === context.message ? next : () => next({ message }));
    };
  }
  const correlation: Middleware = (context, next) => {
    const message = correlated(context.message);
    return message === context.message ? next() : next({ message });
  };
  // In a composed pipeline it is one plain call: nothing happens after `next`.
  return withInlineStep(correlation, (context) => correlated(context.message));
}

/** `message`, or a copy with its own id as correlation id when it carries none. */
function correlated(message: Message): Message {
  const { metadata } = message;
  if (typeof metadata.correlationId === 'string' && metadata.correlationId.length > 0) return message;
  return Object.freeze({
    ...message,
    metadata: Object.freeze({ ...metadata, correlationId: metadata.messageId }),
  });
}

/**
 * The message whose handler is running in the current async context, when the bus runs
 * `correlationMiddleware({ ambient: true })`; `undefined` otherwise. Without ambient
 * correlation, use the handler's `context.message`.
 */
export function currentMessage(): Message | undefined {
  return scopedMessage();
}
