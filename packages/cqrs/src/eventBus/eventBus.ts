import { AsyncLocalStorage } from 'node:async_hooks';
import {
  assertOptions,
  disposer,
  optionFunction,
  optionInteger,
  optionObject,
  optionOneOf,
  optionString,
  raceAbort,
  telemetryEnabled,
  throwIfAborted,
  toError,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, EventPublisher, Logger, Message, TelemetrySpan } from '@keel/core';
import { EventBusClosedError, EventDeliveryError, InvalidOptionError } from '../errors/errors.js';
import type { EventHandlerFailure } from '../errors/errors.js';
import { compose } from '../internal/compose.js';
import type { Terminal } from '../internal/compose.js';
import { callHandler, callsOf, DispatchContext, spanOf } from '../internal/context.js';
import { optionClock, optionLogger, optionMiddleware } from '../internal/optionKinds.js';
import { traceDispatch, traceHandler, tracePublish } from '../internal/telemetry.js';
import { KeyedQueue } from '../internal/keyedQueue.js';
import { stampFromScope } from '../internal/messageScope.js';
import { Semaphore } from '../internal/semaphore.js';
import type { AnyEventMap, AnyEventOf, EventFor, EventMap, Handler, TypeOf } from '../messages/messageMap.js';
import type { Middleware, MessageContext } from '../middleware/middleware.js';
import type {
  EventTransport,
  TransportSubscribeOptions,
  TransportSubscription,
} from '../transport/eventTransport.js';
import { EVENT_BUS_DEFAULTS } from './eventBusOptions.js';
import type {
  ConsumeOptions,
  DeliveryMode,
  EventBusOptions,
  EventPublishOptions,
  SubscribeOptions,
} from './eventBusOptions.js';

/** Subscribes a handler to every event type. */
export const ALL_EVENTS = '*';

const DELIVERY_MODES: readonly DeliveryMode[] = ['wait', 'background'];

export type { SubscribeOptions, EventPublishOptions, ConsumeOptions } from './eventBusOptions.js';

interface Subscription {
  readonly name: string;
  readonly handler: Handler<Message, unknown>;
  pipeline: Terminal;
}

/** Which buses are delivering in the current async context, to let nested publishes skip queues. */
const deliveryScope = new AsyncLocalStorage<object>();

/**
 * Delivers events to every subscribed handler: many handlers per type plus wildcard
 * ({@link ALL_EVENTS}) handlers, bounded concurrency, order kept per ordering key, and an
 * awaitable `publish` that reports every failure together. Implements the core `EventPublisher`.
 *
 * @example
 * ```ts
 * const events = createEventBus<{ Deposited: { accountId: string; amount: number } }>();
 * events.subscribe('Deposited', async (event) => projection.apply(event));
 * await events.publish([createEvent('Deposited', { accountId: 'a-1', amount: 5 })]);
 * ```
 */
export class EventBus<TMap extends EventMap<TMap> = AnyEventMap> implements EventPublisher<AnyEventOf<TMap>> {
  readonly #subscriptions = new Map<string, Subscription[]>();
  readonly #middleware: Middleware[];
  readonly #handlerMiddleware: Middleware[];
  readonly #semaphore: Semaphore;
  readonly #queue = new KeyedQueue();
  readonly #orderingKey: (event: Message) => string | undefined;
  readonly #delivery: DeliveryMode;
  readonly #onError: (error: EventDeliveryError) => void;
  readonly #transport: EventTransport | undefined;
  readonly #clock: Clock;
  readonly #background = new Set<Promise<void>>();
  readonly #consumers = new Set<TransportSubscription>();
  #pipeline: Terminal;
  #count = 0;
  /** `closing` from the start of `close()`; only handlers of this bus may still publish then. */
  #state: 'open' | 'closing' | 'closed' = 'open';

  /**
   * @param options See {@link EventBusOptions}; an option that is `undefined` keeps its default.
   * @throws {ValidationError} when an option is out of range or of the wrong kind.
   */
  constructor(options: EventBusOptions = {}) {
    const settings = withDefaults(EVENT_BUS_DEFAULTS, options);
    assertOptions('EventBus', {
      middleware: optionMiddleware(settings.middleware),
      handlerMiddleware: optionMiddleware(settings.handlerMiddleware),
      concurrency: optionInteger(settings.concurrency, { min: 1, infinity: true }),
      orderingKey: optionFunction(settings.orderingKey),
      delivery: optionOneOf(settings.delivery, DELIVERY_MODES),
      onError: optionFunction(settings.onError),
      logger: optionLogger(settings.logger),
      transport: optionObject(settings.transport, 'an EventTransport', ['publish', 'subscribe']),
      clock: optionClock(settings.clock),
    });
    this.#clock = settings.clock;
    this.#semaphore = new Semaphore(settings.concurrency);
    this.#middleware = [...settings.middleware];
    this.#handlerMiddleware = [...settings.handlerMiddleware];
    this.#orderingKey = settings.orderingKey;
    this.#delivery = settings.delivery;
    this.#transport = settings.transport;
    this.#onError = settings.onError ?? defaultOnError(settings.logger);
    this.#pipeline = compose(this.#middleware, (context) => this.#fanOut(context));
  }

  /**
   * Subscribes `handler` to events of `type`, or to every event with {@link ALL_EVENTS}.
   *
   * @returns A disposer that unsubscribes it.
   */
  subscribe<TType extends TypeOf<TMap>>(
    type: TType,
    handler: Handler<EventFor<TMap, TType>, unknown>,
    options?: SubscribeOptions,
  ): Disposer;
  subscribe(
    type: typeof ALL_EVENTS,
    handler: Handler<AnyEventOf<TMap>, unknown>,
    options?: SubscribeOptions,
  ): Disposer;
  subscribe(type: string, handler: Handler<never, unknown>, options: SubscribeOptions = {}): Disposer {
    if (typeof type !== 'string' || type.length === 0) {
      throw new InvalidOptionError('type', 'a non-empty event type', JSON.stringify(type));
    }
    if (typeof handler !== 'function') {
      throw new InvalidOptionError('handler', `a function handling "${type}" events`, typeof handler);
    }
    assertOptions('EventBus.subscribe', { name: optionString(options.name) });
    this.#count++;
    const name = options.name ?? (handler.name || `${type} handler #${this.#count}`);
    const entry: Subscription = { name, handler: handler as Handler<Message, unknown>, pipeline: undefined! };
    entry.pipeline = this.#composeHandler(entry);
    const list = this.#subscriptions.get(type) ?? [];
    this.#subscriptions.set(type, [...list, entry]);
    return disposer(() => {
      const remaining = (this.#subscriptions.get(type) ?? []).filter((other) => other !== entry);
      if (remaining.length === 0) this.#subscriptions.delete(type);
      else this.#subscriptions.set(type, remaining);
    });
  }

  /** How many handlers `type` has (wildcard handlers not included), or all handlers together. */
  handlerCount(type?: string): number {
    if (type !== undefined) return this.#subscriptions.get(type)?.length ?? 0;
    let total = 0;
    for (const list of this.#subscriptions.values()) total += list.length;
    return total;
  }

  /** Appends event-level middleware (innermost so far). Returns the bus. */
  use(...middleware: Middleware[]): this {
    this.#middleware.push(...middleware);
    this.#pipeline = compose(this.#middleware, (context) => this.#fanOut(context));
    return this;
  }

  /** Appends handler-level middleware (innermost so far) to every handler. Returns the bus. */
  useForHandlers(...middleware: Middleware[]): this {
    this.#handlerMiddleware.push(...middleware);
    for (const list of this.#subscriptions.values())
      for (const entry of list) entry.pipeline = this.#composeHandler(entry);
    return this;
  }

  /**
   * Delivers `events` in order to their handlers (or sends them through the transport). A
   * failing handler never stops the others or later events. In background mode the events
   * still wait their turn behind earlier events with the same ordering key, also when a
   * handler publishes them.
   *
   * @throws {EventDeliveryError} listing every failure, after every event was delivered (wait mode).
   * @throws {EventBusClosedError} once `close()` was called (handlers of this bus may still
   *   publish while it drains).
   * @throws {ValidationError} when `options.delivery` is not `'wait'` or `'background'`.
   * @throws The signal's abort reason when `options.signal` aborts before delivery ends.
   */
  async publish(events: readonly AnyEventOf<TMap>[], options: EventPublishOptions = {}): Promise<void> {
    const { signal } = options;
    throwIfAborted(signal);
    this.#assertOpen('publish');
    if (options.delivery !== undefined)
      assertOptions('EventBus.publish', { delivery: optionOneOf(options.delivery, DELIVERY_MODES) });
    const stamped = events.map((event) => stampFromScope(event as Message));
    const background = (options.delivery ?? this.#delivery) === 'background';
    if (!telemetryEnabled() || stamped.length === 0) return this.#deliver(stamped, background, signal);
    return tracePublish(stamped, this.#transport !== undefined, (sent) =>
      this.#deliver(sent, background, signal),
    );
  }

  /**
   * Consumes events from `transport`, delivering each to this bus's handlers in order per key.
   * A delivery with failures rejects to the transport with an {@link EventDeliveryError}.
   *
   * @param options Handed to `transport.subscribe` unchanged: `signal`, and whatever else that
   *   transport takes (e.g. `durableName` for NATS).
   * @returns A function that stops consuming.
   * @throws {EventBusClosedError} once `close()` was called.
   */
  async consume<TTransport extends EventTransport>(
    transport: TTransport,
    options?: ConsumeOptions<TTransport>,
  ): Promise<() => Promise<void>> {
    this.#assertOpen('consume');
    const handler = async (event: Message, { signal }: { readonly signal: AbortSignal }): Promise<void> => {
      const failures = await this.#deliverOrdered(event, signal);
      if (failures.length > 0) throw new EventDeliveryError(failures);
    };
    const subscription = await transport.subscribe(handler, options as TransportSubscribeOptions | undefined);
    if (this.#state !== 'open') {
      await subscription.close();
      throw new EventBusClosedError('consume');
    }
    this.#consumers.add(subscription);
    return async () => {
      this.#consumers.delete(subscription);
      await subscription.close();
    };
  }

  /** Resolves when every background delivery started so far has finished. */
  async drain(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /**
   * Stops consuming from transports and waits for background deliveries. From then on
   * `publish` and `consume` reject with an {@link EventBusClosedError}, except that handlers
   * still running may publish follow-up events until the drain ends. Calling it again waits
   * the same way.
   */
  async close(): Promise<void> {
    if (this.#state === 'open') this.#state = 'closing';
    const consumers = [...this.#consumers];
    this.#consumers.clear();
    await Promise.allSettled(consumers.map((subscription) => subscription.close()));
    await this.drain();
    this.#state = 'closed';
  }

  /** Same as {@link EventBus.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #deliver(events: readonly Message[], background: boolean, signal: AbortSignal | undefined) {
    if (background) return this.#inBackground(events);
    return raceAbort(this.#send(events, signal), signal);
  }

  async #send(events: readonly Message[], signal: AbortSignal | undefined): Promise<void> {
    if (this.#transport !== undefined)
      return this.#transport.publish(events, signal === undefined ? {} : { signal });
    const failures: EventHandlerFailure[] = [];
    for (const event of events) failures.push(...(await this.#deliverOrdered(event, signal)));
    if (failures.length > 0) throw new EventDeliveryError(failures);
  }

  #assertOpen(operation: string): void {
    if (this.#state === 'open') return;
    if (this.#state === 'closing' && operation === 'publish' && deliveryScope.getStore() === this) return;
    throw new EventBusClosedError(operation);
  }

  #inBackground(events: readonly Message[]): void {
    // Outside the delivery scope: a handler does not wait for these, so they take their turn
    // in the ordering queue and a concurrency slot like any other publish.
    const sending = deliveryScope.exit(() => this.#send(events, undefined));
    const task = sending.catch((error: unknown) => {
      const failures = EventDeliveryError.failuresOf(events[0]!, '(transport)', error);
      this.#report(new EventDeliveryError(failures));
    });
    this.#background.add(task);
    void task.finally(() => this.#background.delete(task));
  }

  #report(error: EventDeliveryError): void {
    try {
      this.#onError(error);
    } catch {
      // A throwing error hook must not break delivery of later events.
    }
  }

  #deliverOrdered(event: Message, signal: AbortSignal | undefined): Promise<EventHandlerFailure[]> {
    const key = this.#orderingKey(event);
    if (key === undefined || deliveryScope.getStore() === this) return this.#deliverOne(event, signal);
    return this.#queue.run(key, () => this.#deliverOne(event, signal));
  }

  async #deliverOne(event: Message, signal: AbortSignal | undefined): Promise<EventHandlerFailure[]> {
    try {
      if (!telemetryEnabled()) await this.#pipeline(new DispatchContext('event', event, signal));
      else
        await traceDispatch('event', event, this.#clock, (span) =>
          this.#pipeline(this.#context(event, signal, span)),
        );
      return [];
    } catch (error) {
      return EventDeliveryError.failuresOf(event, '(pipeline)', error);
    }
  }

  async #fanOut(context: MessageContext): Promise<void> {
    const typed = this.#subscriptions.get(context.message.type) ?? [];
    const wildcard = context.message.type === ALL_EVENTS ? [] : (this.#subscriptions.get(ALL_EVENTS) ?? []);
    const entries = [...typed, ...wildcard];
    const outcomes = await Promise.all(entries.map((entry) => this.#runHandler(entry, context)));
    const failures = outcomes.filter((failure): failure is EventHandlerFailure => failure !== undefined);
    if (failures.length > 0) throw new EventDeliveryError(failures);
  }

  async #runHandler(entry: Subscription, context: MessageContext): Promise<EventHandlerFailure | undefined> {
    const nested = deliveryScope.getStore() === this;
    try {
      const signal = context instanceof DispatchContext ? context.peekSignal() : context.signal;
      if (!nested) await this.#semaphore.acquire(signal);
      try {
        const run = (span?: TelemetrySpan) =>
          entry.pipeline(
            new DispatchContext('event', context.message, signal, entry.name, callsOf(context), span),
          );
        if (spanOf(context) === undefined) await deliveryScope.run(this, run);
        else
          await deliveryScope.run(this, () =>
            traceHandler('event', context.message, entry.name, this.#clock, run),
          );
      } finally {
        if (!nested) this.#semaphore.release();
      }
      return undefined;
    } catch (error) {
      return { event: context.message, handler: entry.name, error: toError(error) };
    }
  }

  #context(event: Message, signal: AbortSignal | undefined, span: TelemetrySpan): DispatchContext {
    return new DispatchContext('event', event, signal, undefined, undefined, span);
  }

  #composeHandler(entry: Subscription): Terminal {
    return compose(this.#handlerMiddleware, (context) =>
      callHandler(context, () => entry.handler(context.message, context)),
    );
  }
}

function defaultOnError(logger: Logger): (error: EventDeliveryError) => void {
  return (error) => logger.error(error.message, { code: error.code, failures: error.details['failures'] });
}

/**
 * Creates an {@link EventBus} typed by an event map (event type → data).
 *
 * @example
 * ```ts
 * const events = createEventBus<BankEvents>({ concurrency: 8, middleware: [correlationMiddleware()] });
 * ```
 */
export function createEventBus<TMap extends EventMap<TMap> = AnyEventMap>(
  options?: EventBusOptions,
): EventBus<TMap> {
  return new EventBus<TMap>(options);
}
