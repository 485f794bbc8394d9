import type { Message } from '@keel/core';
import type { MessageKind } from '../errors/errors.js';
import type { ContextOverrides, MessageContext } from '../middleware/middleware.js';

/**
 * The context of one dispatch. The signal is created only when someone reads it, so a
 * dispatch without a caller signal pays for no `AbortController` unless a handler needs one.
 */
export class DispatchContext implements MessageContext {
  readonly kind: MessageKind;
  readonly message: Message;
  readonly handler: string | undefined;
  #signal: AbortSignal | undefined;

  constructor(kind: MessageKind, message: Message, signal: AbortSignal | undefined, handler?: string) {
    this.kind = kind;
    this.message = message;
    this.handler = handler;
    this.#signal = signal;
  }

  get signal(): AbortSignal {
    return (this.#signal ??= new AbortController().signal);
  }

  /** The signal if one exists already, without creating one. */
  peekSignal(): AbortSignal | undefined {
    return this.#signal;
  }
}

/** A context with the overrides applied; the original is never mutated. */
export function withOverrides(context: MessageContext, overrides: ContextOverrides): MessageContext {
  const signal =
    overrides.signal ?? (context instanceof DispatchContext ? context.peekSignal() : context.signal);
  return new DispatchContext(context.kind, overrides.message ?? context.message, signal, context.handler);
}

/** The context's signal if it has one already; never creates one. */
export function existingSignal(context: MessageContext): AbortSignal | undefined {
  return context instanceof DispatchContext ? context.peekSignal() : context.signal;
}
