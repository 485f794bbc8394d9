import { assertOptions, optionClock } from '@keel/core';
import type { Clock, Disposer, Message, MessageOptions } from '@keel/core';
import { HandlerBus } from '../dispatch/handlerBus.js';
import { optionMiddleware } from '../internal/optionMiddleware.js';
import type {
  AnyMessageMap,
  CommandFor,
  DataOf,
  Handler,
  InputOf,
  MessageMap,
  ResultFor,
  TypeOf,
} from '../messages/messageMap.js';
import type { Middleware } from '../middleware/middleware.js';

/** Options of `execute` on the command and query buses. */
export interface ExecuteOptions {
  /** Cancels the wait: `execute` rejects with the signal's reason, and the handler sees it aborted. */
  signal?: AbortSignal | undefined;
}

/** Options of `send`: how to build the message, plus {@link ExecuteOptions}. */
export interface SendOptions extends ExecuteOptions, MessageOptions {}

/** Options of {@link createCommandBus}. */
export interface CommandBusOptions {
  /** Middleware around every handler call, outermost first. @default [] */
  middleware?: readonly Middleware[] | undefined;
  /** The clock used to stamp messages built by `send`, and to time dispatches for metrics. @default systemClock */
  clock?: Clock | undefined;
}

/**
 * Routes each command to exactly one handler through a middleware pipeline, with results
 * typed by `TMap` (see {@link MessageMap}).
 *
 * @example
 * ```ts
 * const commands = createCommandBus<{ Deposit: { data: { amount: number }; result: number } }>();
 * commands.register('Deposit', async ({ data }) => data.amount);
 * const balance = await commands.send('Deposit', { amount: 5 }); // number
 * ```
 */
export class CommandBus<TMap extends MessageMap<TMap> = AnyMessageMap> {
  readonly #bus: HandlerBus;

  /**
   * @param options See {@link CommandBusOptions}; an option that is `undefined` keeps its default.
   * @throws {ValidationError} when `middleware` is not an array of functions or `clock` not a Clock.
   */
  constructor(options: CommandBusOptions = {}) {
    assertOptions('CommandBus', {
      middleware: optionMiddleware(options.middleware),
      clock: optionClock(options.clock, ['now']),
    });
    this.#bus = new HandlerBus('command', options.middleware ?? [], options.clock);
  }

  /**
   * Registers the one handler of a command type.
   *
   * @returns A disposer that unregisters it.
   * @throws {DuplicateHandlerError} when the type already has a handler.
   */
  register<TType extends TypeOf<TMap>>(
    type: TType,
    handler: Handler<CommandFor<TMap, TType>, ResultFor<TMap, TType>>,
  ): Disposer {
    return this.#bus.register(type, handler as Handler<Message, unknown>);
  }

  /** Whether a handler is registered for `type`. */
  has(type: TypeOf<TMap>): boolean {
    return this.#bus.has(type);
  }

  /** Appends middleware (innermost so far); the pipeline is rebuilt once. Returns the bus. */
  use(...middleware: Middleware[]): this {
    this.#bus.use(middleware);
    return this;
  }

  /**
   * Runs `command` through the middleware and its handler.
   *
   * @returns The handler's result.
   * @throws {NoHandlerError} when no handler is registered for its type.
   * @throws The signal's abort reason when `options.signal` aborts; any error of the pipeline.
   */
  execute<TType extends TypeOf<TMap>>(
    command: Message<TType, DataOf<TMap, TType>>,
    options?: ExecuteOptions,
  ): Promise<ResultFor<TMap, TType>> {
    return this.#bus.execute(command, options?.signal) as Promise<ResultFor<TMap, TType>>;
  }

  /**
   * Builds a command with full metadata (`createCommand`) and executes it.
   *
   * @throws {TypeError} at once when `type` is not a non-empty string, as `createCommand` does.
   * @throws {ValidationError} (a rejection) when an option is of the wrong kind, e.g. a `causedBy`
   *   that is not a message; nothing is dispatched.
   * @example
   * ```ts
   * await commands.send('Deposit', { amount: 5 }, { causedBy: previousEvent });
   * ```
   */
  send<TType extends TypeOf<TMap>>(
    type: TType,
    data: InputOf<TMap, TType>,
    options?: SendOptions,
  ): Promise<ResultFor<TMap, TType>> {
    // The data is the sender's input; validation middleware turns it into the handler's data.
    return this.#bus.send(type, data, options) as Promise<ResultFor<TMap, TType>>;
  }
}

/**
 * Creates a {@link CommandBus} typed by a command map.
 *
 * @example
 * ```ts
 * const commands = createCommandBus<BankCommands>({ middleware: [validationMiddleware(schemas)] });
 * ```
 */
export function createCommandBus<TMap extends MessageMap<TMap> = AnyMessageMap>(
  options?: CommandBusOptions,
): CommandBus<TMap> {
  return new CommandBus<TMap>(options);
}
