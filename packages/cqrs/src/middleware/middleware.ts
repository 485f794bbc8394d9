import type { Message } from '@keel/core';
import type { MessageKind } from '../errors/errors.js';

/**
 * What a handler and every middleware see about the message being handled.
 * The `message` is the one to use for causation: `createEvent(type, data, { causedBy: context.message })`.
 */
export interface MessageContext<TMessage extends Message = Message> {
  /** Which bus the message travels on. */
  readonly kind: MessageKind;
  /** The message, possibly replaced by an earlier middleware (e.g. with validated data). */
  readonly message: TMessage;
  /** Aborted when the caller cancels or a middleware (e.g. a timeout) gives up. */
  readonly signal: AbortSignal;
  /** On the event bus's handler pipeline, the name of the handler about to run. */
  readonly handler?: string | undefined;
}

/** What a middleware may change for the rest of the pipeline when it calls `next`. */
export interface ContextOverrides {
  /** A replacement message, e.g. with parsed data or stamped metadata. */
  readonly message?: Message;
  /** A replacement signal, e.g. one a timeout aborts. */
  readonly signal?: AbortSignal;
}

/** Runs the rest of the pipeline (later middleware, then the handler) and resolves with its result. */
export type Next = (overrides?: ContextOverrides) => Promise<unknown>;

/**
 * A step around every handler call: it may act before and after `next()`, call it more than
 * once (retries), change the message or signal, or return without calling it (short-circuit).
 * Middleware run in the order given: the first one is the outermost. With telemetry installed,
 * each step shows as a span event `middleware {function name}` on the message's span, so name
 * your middleware functions (`const audit: Middleware = …`).
 *
 * @example
 * ```ts
 * const audit: Middleware = async (context, next) => {
 *   const result = await next();
 *   audited.push(context.message.type);
 *   return result;
 * };
 * ```
 */
export type Middleware = (context: MessageContext, next: Next) => Promise<unknown>;
