import { disposer, raceAbort, systemClock, telemetryEnabled, throwIfAborted } from '@keel/core';
import type { Clock, Disposer, Message, TelemetrySpan } from '@keel/core';
import { DuplicateHandlerError, InvalidOptionError, NoHandlerError } from '../errors/errors.js';
import type { MessageKind } from '../errors/errors.js';
import type { Handler } from '../messages/messageMap.js';
import type { Middleware, MessageContext } from '../middleware/middleware.js';
import { compose } from './compose.js';
import type { Terminal } from './compose.js';
import { callHandler, DispatchContext, spanOf } from './context.js';
import { stampFromScope } from './messageScope.js';
import { traceDispatch, traceHandler } from './telemetry.js';

type AnyHandler = Handler<Message, unknown>;

/** The untyped engine of the command and query buses: one handler per type, one pipeline. */
export class HandlerBus {
  readonly #kind: MessageKind;
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #middleware: Middleware[];
  /** Times dispatches for metrics. */
  readonly #clock: Clock;
  #pipeline: Terminal;

  constructor(kind: MessageKind, middleware: readonly Middleware[], clock: Clock = systemClock) {
    this.#kind = kind;
    this.#middleware = [...middleware];
    this.#clock = clock;
    this.#pipeline = this.#compose();
  }

  register(type: string, handler: AnyHandler): Disposer {
    if (typeof type !== 'string' || type.length === 0) {
      throw new InvalidOptionError('type', `a non-empty ${this.#kind} type`, JSON.stringify(type));
    }
    if (typeof handler !== 'function') {
      throw new InvalidOptionError('handler', `a function handling ${this.#kind} "${type}"`, typeof handler);
    }
    if (this.#handlers.has(type)) throw new DuplicateHandlerError(this.#kind, type);
    this.#handlers.set(type, handler);
    return disposer(() => {
      if (this.#handlers.get(type) === handler) this.#handlers.delete(type);
    });
  }

  has(type: string): boolean {
    return this.#handlers.has(type);
  }

  use(middleware: readonly Middleware[]): void {
    this.#middleware.push(...middleware);
    this.#pipeline = this.#compose();
  }

  /** Not `async`: one promise less per dispatch; every synchronous throw still becomes a rejection. */
  execute(message: Message, signal: AbortSignal | undefined): Promise<unknown> {
    if (!telemetryEnabled()) return this.#dispatch(message, signal, undefined);
    try {
      const stamped = stampFromScope(message);
      return traceDispatch(this.#kind, stamped, this.#clock, (span) => this.#dispatch(stamped, signal, span));
    } catch (error) {
      return Promise.reject(error); // A malformed message (no metadata) rejects, as it does untraced.
    }
  }

  #dispatch(
    message: Message,
    signal: AbortSignal | undefined,
    span: TelemetrySpan | undefined,
  ): Promise<unknown> {
    try {
      throwIfAborted(signal);
      if (!this.#handlers.has(message.type)) throw new NoHandlerError(this.#kind, message.type);
      const stamped = stampFromScope(message);
      const context = new DispatchContext(this.#kind, stamped, signal, undefined, undefined, span);
      return raceAbort(this.#pipeline(context), signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #compose(): Terminal {
    return compose(this.#middleware, (context: MessageContext) => {
      const handler = this.#handlers.get(context.message.type);
      if (handler === undefined) return Promise.reject(new NoHandlerError(this.#kind, context.message.type));
      if (spanOf(context) === undefined) return callHandler(context, handler);
      return traceHandler(this.#kind, context.message, undefined, this.#clock, () =>
        callHandler(context, handler),
      );
    });
  }
}
