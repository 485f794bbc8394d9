import {
  createMessage,
  createMetadata,
  disposer,
  raceAbort,
  systemClock,
  telemetryEnabled,
  throwIfAborted,
} from '@keel/core';
import type { Clock, Disposer, Message, MessageOptions, TelemetrySpan } from '@keel/core';
import type { SendOptions } from '../commandBus/commandBus.js';
import { DuplicateHandlerError, InvalidOptionError, NoHandlerError } from '../errors/errors.js';
import type { MessageKind } from '../errors/errors.js';
import type { Handler } from '../messages/messageMap.js';
import type { Middleware, MessageContext } from '../middleware/middleware.js';
import { compose } from './compose.js';
import type { Pipeline } from './compose.js';
import { callHandler, DispatchContext, spanOf } from './dispatchContext.js';
import { causesInFlight } from '../internal/causesInFlight.js';
import { isMessageShaped, notAMessage } from '../internal/messageShape.js';
import { stampFromScope } from '../internal/messageScope.js';
import { traceDispatch, traceHandler } from '../internal/telemetry.js';

type AnyHandler = Handler<Message, unknown>;

/** The untyped engine of the command and query buses: one handler per type, one pipeline. */
export class HandlerBus {
  readonly #kind: MessageKind;
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #middleware: Middleware[];
  /** Times dispatches for metrics. */
  readonly #clock: Clock;
  /** The bus's clock option, which stamps the messages `send` builds (`undefined`: the system clock). */
  readonly #messageClock: Clock | undefined;
  /** The message options of a `send` without options: none, or the bus's clock. */
  readonly #plainOptions: MessageOptions | undefined;
  #pipeline: Pipeline;

  constructor(kind: MessageKind, middleware: readonly Middleware[], clock: Clock | undefined) {
    this.#kind = kind;
    this.#middleware = [...middleware];
    this.#clock = clock ?? systemClock;
    this.#messageClock = clock;
    this.#plainOptions = clock === undefined ? undefined : Object.freeze({ clock });
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
    if (!isMessageShaped(message)) return Promise.reject(notAMessage(this.#kind, message));
    if (!telemetryEnabled()) return this.#dispatch(message, signal, undefined, undefined);
    return this.#traced(message, signal);
  }

  /**
   * Builds a message of `type` with full metadata (as core's `createMessage` does, stamped by the
   * bus's clock unless `options.clock` is given) and executes it. The envelope is frozen by the
   * pipeline, before anything but Keel's own inline steps sees it (see {@link Pipeline}).
   *
   * @throws {TypeError} synchronously when `type` is not a non-empty string, as `createMessage` does.
   *   Options of the wrong kind (a `causedBy` that is not a message …) reject with core's
   *   `ValidationError` instead.
   */
  send(type: string, data: unknown, options: SendOptions | undefined): Promise<unknown> {
    const messageOptions = this.#messageOptions(options);
    if (typeof type !== 'string' || type.length === 0) createMessage(type, data, messageOptions); // throws
    let message: Message;
    try {
      message = { type, data, metadata: createMetadata(messageOptions) };
    } catch (error) {
      return Promise.reject(error); // options of the wrong kind: a ValidationError, like a bad command
    }
    return this.#executeUnfrozen(message, options?.signal);
  }

  /** The message options of a `send`: `options` as it is (the factories ignore `signal`), or with the bus's clock. */
  #messageOptions(options: SendOptions | undefined): MessageOptions | undefined {
    if (options === undefined) return this.#plainOptions;
    const clock = this.#messageClock;
    if (clock === undefined || options.clock !== undefined) return options;
    return { causedBy: options.causedBy, metadata: options.metadata, clock };
  }

  /**
   * {@link execute} for `message` built by the caller for this dispatch alone and not frozen yet
   * (`send`): the pipeline freezes it before any middleware but Keel's own inline steps sees it,
   * or drops it unfrozen when one of them replaces it (see {@link Pipeline}).
   */
  #executeUnfrozen(message: Message, signal: AbortSignal | undefined): Promise<unknown> {
    if (!telemetryEnabled()) return this.#dispatch(message, signal, undefined, message);
    return this.#traced(Object.freeze(message), signal);
  }

  #traced(message: Message, signal: AbortSignal | undefined): Promise<unknown> {
    try {
      const stamped = stampFromScope(message);
      return traceDispatch(this.#kind, stamped, this.#clock, (span) =>
        this.#dispatch(stamped, signal, span, undefined),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #dispatch(
    message: Message,
    signal: AbortSignal | undefined,
    span: TelemetrySpan | undefined,
    unfrozen: Message | undefined,
  ): Promise<unknown> {
    try {
      throwIfAborted(signal);
      if (!this.#handlers.has(message.type)) throw new NoHandlerError(this.#kind, message.type);
      const stamped = stampFromScope(message);
      const context = new DispatchContext(this.#kind, stamped, signal, undefined, undefined, span);
      // A message stamped from the ambient scope is a frozen copy: the unfrozen one is dropped.
      const pipelineUnfrozen = stamped === unfrozen ? unfrozen : undefined;
      if (stamped.metadata.causationId === undefined)
        return raceAbort(this.#pipeline(context, pipelineUnfrozen), signal);
      return raceAbort(this.#runCaused(stamped, context, pipelineUnfrozen), signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs the pipeline for a message that names a cause, noted as handled until the pipeline
   * settles (a caller's abort does not end it), so that an event published on the way is known
   * to descend from that cause (see `causesInFlight`): an event handler that sends a command
   * which changes the event's own aggregate is then not queued behind its own delivery.
   */
  #runCaused(message: Message, context: DispatchContext, unfrozen: Message | undefined): Promise<unknown> {
    causesInFlight.enter(message);
    const leave = (): void => causesInFlight.leave(message);
    let running: Promise<unknown>;
    try {
      running = this.#pipeline(context, unfrozen);
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(leave, leave);
    return running;
  }

  #compose(): Pipeline {
    return compose(this.#middleware, (context: MessageContext, unfrozen?: Message) => {
      if (unfrozen !== undefined) Object.freeze(unfrozen); // a `send` without middleware
      const handler = this.#handlers.get(context.message.type);
      if (handler === undefined) return Promise.reject(new NoHandlerError(this.#kind, context.message.type));
      if (spanOf(context) === undefined) return callHandler(context, handler);
      return traceHandler(this.#kind, context.message, undefined, this.#clock, () =>
        callHandler(context, handler),
      );
    });
  }
}
