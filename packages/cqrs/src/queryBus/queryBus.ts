import { assertOptions, optionClock } from '@keel/core';
import type { Clock, Disposer, Message } from '@keel/core';
import { HandlerBus } from '../dispatch/handlerBus.js';
import { optionMiddleware } from '../internal/optionMiddleware.js';
import type {
  AnyMessageMap,
  QueryFor,
  DataOf,
  Handler,
  InputOf,
  MessageMap,
  ResultFor,
  TypeOf,
} from '../messages/messageMap.js';
import type { Middleware } from '../middleware/middleware.js';
import type { ExecuteOptions, SendOptions } from '../commandBus/commandBus.js';

/** Options of {@link createQueryBus}. */
export interface QueryBusOptions {
  /** Middleware around every handler call, outermost first. @default [] */
  middleware?: readonly Middleware[] | undefined;
  /** The clock used to stamp messages built by `send`, and to time dispatches for metrics. @default systemClock */
  clock?: Clock | undefined;
}

/**
 * Routes each query to exactly one handler through a middleware pipeline, with results
 * typed by `TMap` (see {@link MessageMap}).
 *
 * @example
 * ```ts
 * const queries = createQueryBus<{ Balance: { data: { accountId: string }; result: number } }>();
 * queries.register('Balance', async ({ data }) => balances.get(data.accountId) ?? 0);
 * const balance = await queries.send('Balance', { accountId: 'a-1' }); // number
 * ```
 */
export class QueryBus<TMap extends MessageMap<TMap> = AnyMessageMap> {
  readonly #bus: HandlerBus;

  /**
   * @param options See {@link QueryBusOptions}; an option that is `undefined` keeps its default.
   * @throws {ValidationError} when `middleware` is not an array of functions or `clock` not a Clock.
   */
  constructor(options: QueryBusOptions = {}) {
    assertOptions('QueryBus', {
      middleware: optionMiddleware(options.middleware),
      clock: optionClock(options.clock, ['now']),
    });
    this.#bus = new HandlerBus('query', options.middleware ?? [], options.clock);
  }

  /**
   * Registers the one handler of a query type.
   *
   * @returns A disposer that unregisters it.
   * @throws {DuplicateHandlerError} when the type already has a handler.
   */
  register<TType extends TypeOf<TMap>>(
    type: TType,
    handler: Handler<QueryFor<TMap, TType>, ResultFor<TMap, TType>>,
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
   * Runs `query` through the middleware and its handler.
   *
   * @returns The handler's result.
   * @throws {NoHandlerError} when no handler is registered for its type.
   * @throws The signal's abort reason when `options.signal` aborts; any error of the pipeline.
   */
  execute<TType extends TypeOf<TMap>>(
    query: Message<TType, DataOf<TMap, TType>>,
    options?: ExecuteOptions,
  ): Promise<ResultFor<TMap, TType>> {
    return this.#bus.execute(query, options?.signal) as Promise<ResultFor<TMap, TType>>;
  }

  /**
   * Builds a query with full metadata (`createQuery`) and executes it.
   *
   * @throws {TypeError} at once when `type` is not a non-empty string, as `createQuery` does.
   * @throws {ValidationError} (a rejection) when an option is of the wrong kind, e.g. a `causedBy`
   *   that is not a message; nothing is dispatched.
   * @example
   * ```ts
   * await queries.send('Balance', { accountId: 'a-1' }, { signal });
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
 * Creates a {@link QueryBus} typed by a query map.
 *
 * @example
 * ```ts
 * const queries = createQueryBus<BankQueries>({ middleware: [validationMiddleware(schemas)] });
 * ```
 */
export function createQueryBus<TMap extends MessageMap<TMap> = AnyMessageMap>(
  options?: QueryBusOptions,
): QueryBus<TMap> {
  return new QueryBus<TMap>(options);
}
