import { NEVER_ABORTED } from '@keel/core';
import type { Message, TelemetrySpan } from '@keel/core';
import type { MessageKind } from '../errors/errors.js';
import type { ContextOverrides, MessageContext } from '../middleware/middleware.js';
import type { HandlerCalls } from './handlerCalls.js';

/** The internal override key a middleware uses to follow the handler calls below it. */
export const HANDLER_CALLS: unique symbol = Symbol('keel.cqrs.handlerCalls');

/** {@link ContextOverrides} plus the internal handler-call tracker. */
export interface InternalOverrides extends ContextOverrides {
  readonly [HANDLER_CALLS]?: HandlerCalls;
}

/**
 * The context of one dispatch. The signal is created only when someone reads it, as core's
 * `LazySignalContext` does, so a dispatch without a caller signal pays for no `AbortController`
 * unless a handler needs one. It does not extend that class: one context is made per dispatch
 * (and per message an inline middleware step replaces), and constructing a derived class (the
 * `super` call, the base's private field) made a dispatch with three middleware 10 to 15 %
 * slower.
 */
export class DispatchContext implements MessageContext {
  readonly kind: MessageKind;
  readonly message: Message;
  readonly handler: string | undefined;
  /** Follows the handler calls of this dispatch, when a middleware asked for it. */
  readonly calls: HandlerCalls | undefined;
  /** The span of this dispatch (or handler call) when telemetry is on: middleware steps note themselves on it. */
  readonly span: TelemetrySpan | undefined;
  #signal: AbortSignal | undefined;

  constructor(
    kind: MessageKind,
    message: Message,
    signal: AbortSignal | undefined,
    handler?: string,
    calls?: HandlerCalls,
    span?: TelemetrySpan,
  ) {
    this.kind = kind;
    this.message = message;
    this.handler = handler;
    this.calls = calls;
    this.span = span;
    // The shared never-aborted signal is never handed on: a handler gets a signal of its own.
    this.#signal = signal === NEVER_ABORTED ? undefined : signal;
  }

  /** The caller's signal, or a fresh one (created on first read) that never aborts. */
  get signal(): AbortSignal {
    return (this.#signal ??= new AbortController().signal);
  }

  /** The signal if there is one already, without creating one. */
  peekSignal(): AbortSignal | undefined {
    return this.#signal;
  }
}

/** A context with the overrides applied; the original is never mutated. */
export function withOverrides(context: MessageContext, overrides: InternalOverrides): MessageContext {
  const signal = overrides.signal ?? existingSignal(context);
  return new DispatchContext(
    context.kind,
    overrides.message ?? context.message,
    signal,
    context.handler,
    overrides[HANDLER_CALLS] ?? callsOf(context),
    spanOf(context),
  );
}

/** A context with `message` in place of its message (what an inline middleware step hands on). */
export function withMessage(context: MessageContext, message: Message): MessageContext {
  if (!(context instanceof DispatchContext)) return withOverrides(context, { message });
  return new DispatchContext(
    context.kind,
    message,
    context.peekSignal(),
    context.handler,
    context.calls,
    context.span,
  );
}

/** The context's signal if it has one already; never creates one. */
export function existingSignal(context: MessageContext): AbortSignal | undefined {
  return context instanceof DispatchContext ? context.peekSignal() : context.signal;
}

/** The handler-call tracker of `context`, if a middleware installed one. */
export function callsOf(context: MessageContext): HandlerCalls | undefined {
  return context instanceof DispatchContext ? context.calls : undefined;
}

/** The span `context` runs in, when telemetry is on. */
export function spanOf(context: MessageContext): TelemetrySpan | undefined {
  return context instanceof DispatchContext ? context.span : undefined;
}

/**
 * Calls `handler` with the context's message, reporting the call to the context's tracker; a
 * synchronous throw becomes a rejection. No wrapper promise when the handler returns one.
 */
export function callHandler(
  context: MessageContext,
  handler: (message: Message, context: MessageContext) => unknown,
): Promise<unknown> {
  let promise: Promise<unknown>;
  try {
    promise = Promise.resolve(handler(context.message, context));
  } catch (error) {
    promise = Promise.reject(error);
  }
  const calls = callsOf(context);
  return calls === undefined ? promise : calls.track(promise);
}
