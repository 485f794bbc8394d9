import {
  assertOptions,
  disposer,
  KeyedQueue,
  optionClock,
  optionFunction,
  optionInteger,
  optionLogger,
  optionObject,
  optionOneOf,
  optionString,
  raceAbort,
  telemetryEnabled,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Disposer, EventPublisher, Logger, Message, TelemetrySpan } from '@keel/core';
import { EventBusClosedError, EventDeliveryError, InvalidOptionError } from '../errors/errors.js';
import type { EventHandlerFailure } from '../errors/errors.js';
import { compose } from '../dispatch/compose.js';
import type { Terminal } from '../dispatch/compose.js';
import { callHandler, DispatchContext } from '../dispatch/dispatchContext.js';
import { optionMiddleware } from '../internal/optionMiddleware.js';
import { traceDispatch, tracePublish } from '../internal/telemetry.js';
import { InFlight } from '../internal/inFlight.js';
import { insideDeliveryOf, runInDelivery, someInScope, stampAllFromScope } from '../internal/messageScope.js';
import { assertEvents } from '../internal/messageShape.js';
import { Semaphore } from '../internal/semaphore.js';
import { HandlerFanOut } from './handlerFanOut.js';
import { NestedWaitWarnings } from './nestedWaitWarnings.js';
import { subscriptionName } from './subscriptionName.js';
import type { ALL_EVENTS, Subscription } from './handlerFanOut.js';
import type { AnyEventMap, AnyEventOf, EventFor, EventMap, Handler, TypeOf } from '../messages/messageMap.js';
import type { Middleware } from '../middleware/middleware.js';
import type {
  EventTransport,
  TransportSubscribeOptions,
  TransportSubscription,
} from '../transport/eventTransport.js';
import { EVENT_BUS_DEFAULTS } from './eventBusOptions.js';
import type {
  ConsumeOptions,
  DeliveryMode,
  NestedPublishDetection,
  EventBusOptions,
  EventPublishOptions,
  SubscribeOptions,
} from './eventBusOptions.js';

export { ALL_EVENTS } from './handlerFanOut.js';

const DELIVERY_MODES: readonly DeliveryMode[] = ['wait', 'background'];
const NESTED_DETECTIONS: readonly NestedPublishDetection[] = ['detect', 'caused-by'];

/** Where a multi-event publish delivers an event: in its ordering key's queue, nested, or unkeyed. */
type Turn = string | typeof NESTED | undefined;
/** The {@link Turn} of an event published from a handler of a delivery still running. */
const NESTED: unique symbol = Symbol('nested');

export { NESTED_WAIT_WARNING, NESTED_WAIT_WARNING_MS } from './nestedWaitWarnings.js';

export type { SubscribeOptions, EventPublishOptions, ConsumeOptions } from './eventBusOptions.js';

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
  /** Whether ordered deliveries run in a scope that marks their handlers' publishes nested. */
  readonly #detectNesting: boolean;
  readonly #delivery: DeliveryMode;
  readonly #onError: (error: EventDeliveryError) => void;
  readonly #transport: EventTransport | undefined;
  readonly #clock: Clock;
  readonly #background = new Set<Promise<void>>();
  readonly #consumers = new Set<TransportSubscription>();
  readonly #inFlight = new InFlight();
  readonly #fanOut: HandlerFanOut;
  /** The event pipelines: see {@link EventPipelines}. */
  #pipelines: EventPipelines;
  #count = 0;
  readonly #warnings = new NestedWaitWarnings();
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
      nestedPublishes: optionOneOf(settings.nestedPublishes, NESTED_DETECTIONS),
      onError: optionFunction(settings.onError),
      logger: optionLogger(settings.logger, { uses: ['error'] }),
      transport: optionObject(settings.transport, 'an EventTransport', ['publish', 'subscribe']),
      clock: optionClock(settings.clock, ['now']),
    });
    this.#clock = settings.clock;
    this.#semaphore = new Semaphore(settings.concurrency);
    this.#fanOut = new HandlerFanOut(
      this.#subscriptions,
      this.#semaphore,
      this.#inFlight,
      this.#clock,
      this.#warnings,
    );
    this.#middleware = [...settings.middleware];
    this.#handlerMiddleware = [...settings.handlerMiddleware];
    this.#orderingKey = settings.orderingKey;
    this.#detectNesting = settings.nestedPublishes === 'detect';
    this.#delivery = settings.delivery;
    this.#transport = settings.transport;
    this.#onError = settings.onError ?? defaultOnError(settings.logger);
    this.#pipelines = this.#composeEventPipelines();
  }

  /**
   * Subscribes `handler` to events of `type`, or to every event with {@link ALL_EVENTS}.
   *
   * Every handler an event reaches has its own name (see {@link SubscribeOptions.name}): a
   * default name already taken gets a ` #2`, ` #3`… suffix.
   *
   * @returns A disposer that unsubscribes it (its name is then free again).
   * @throws {InvalidOptionError} when `options.name` is already the name of another handler of
   *   `type` (or of a wildcard handler; for a wildcard subscription, of any handler): nothing is
   *   subscribed.
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
    const fallback = handler.name || `${type} handler #${this.#count + 1}`;
    const name = subscriptionName(this.#subscriptions, type, options.name, fallback);
    this.#count++;
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
    this.#pipelines = this.#composeEventPipelines();
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
   * Events of one call that follow each other in `events` with the same ordering key are
   * delivered in one turn of that key's queue, one after another (an event's handlers start
   * once the previous event's finished): no event of that key from another publish comes
   * between them, in either delivery mode. The turn of a later key in `events` is only queued
   * for once the earlier events were delivered, so `[a1, b1, a2]` takes two turns of key `a`,
   * and another publish's event of `a` may come between `a1` and `a2`. A nested event (below)
   * takes no turn and ends the run of its key.
   *
   * A handler that publishes to its own bus and awaits it marks the new events as caused by the
   * event it handles (`createEvent(type, data, { causedBy: context.message })`, or ambient
   * correlation does it): such nested events skip the ordering queues and take no concurrency
   * slot, so the handler cannot wait for itself. They skip every key's queue, not only the one
   * their cause holds: a nested event of another key is delivered at once, also while an
   * unrelated delivery of that key is running. Waiting there instead could deadlock two flows
   * that cross (an event of `a` whose handler changes `b`, while one of `b` changes `a`). An
   * awaited publish that has waited 10 s behind a delivery of its key or for a concurrency
   * slot makes the bus emit a {@link NESTED_WAIT_WARNING} process warning (once per bus and kind).
   *
   * @throws {EventDeliveryError} listing every failure, after every event was delivered (wait mode).
   * @throws {EventBusClosedError} once `close()` was called (while it drains, handlers may
   *   still publish events caused by the event they handle).
   * @throws {ValidationError} when `events` is not an array of messages (each with a `type` and
   *   `metadata`: nothing is delivered), or `options.delivery` is not `'wait'` or `'background'`.
   * @throws The signal's abort reason when `options.signal` aborts before delivery ends.
   */
  publish(events: readonly AnyEventOf<TMap>[], options?: EventPublishOptions): Promise<void> {
    try {
      const signal = options?.signal;
      const delivery = options?.delivery;
      throwIfAborted(signal);
      assertEvents(events);
      const stamped = stampAllFromScope(events as readonly Message[]);
      this.#assertOpen('publish', stamped);
      if (delivery !== undefined)
        assertOptions('EventBus.publish', { delivery: optionOneOf(delivery, DELIVERY_MODES) });
      const background = (delivery ?? this.#delivery) === 'background';
      if (!telemetryEnabled() || stamped.length === 0) return this.#deliver(stamped, background, signal);
      return tracePublish(stamped, this.#transport !== undefined, (sent) =>
        this.#deliver(sent, background, signal),
      );
    } catch (error) {
      return Promise.reject(error);
    }
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
    const handler = (event: Message, { signal }: { readonly signal: AbortSignal }): Promise<void> =>
      this.#deliverOrdered(event, signal, this.#isNested(event));
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

  #deliver(events: readonly Message[], background: boolean, signal: AbortSignal | undefined): Promise<void> {
    if (!background) return raceAbort(this.#send(events, signal, true), signal);
    this.#inBackground(events);
    return Promise.resolve();
  }

  /** `inline`: published by a caller that waits, so events caused by a running delivery are nested. */
  #send(events: readonly Message[], signal: AbortSignal | undefined, inline: boolean): Promise<void> {
    if (this.#transport !== undefined)
      return this.#transport.publish(events, signal === undefined ? {} : { signal });
    if (events.length !== 1) return this.#sendEach(events, signal, inline);
    const event = events[0]!;
    return this.#deliverOrdered(event, signal, inline && this.#isNested(event), inline);
  }

  /**
   * Delivers `events` one after another, collecting every failure. Consecutive events with the
   * same ordering key take one turn of its queue together; the next key's turn is queued for only
   * once that turn ended, since queueing every turn up front deadlocks when a handler awaits a
   * publish of a later event's key.
   */
  async #sendEach(
    events: readonly Message[],
    signal: AbortSignal | undefined,
    inline: boolean,
  ): Promise<void> {
    const failures: EventHandlerFailure[] = [];
    const at = { index: -1, turn: undefined as Turn };
    /** Moves to the next event and finds its turn; an ordering key that throws fails that event. */
    const advance = (): void => {
      for (at.index++; at.index < events.length; at.index++) {
        try {
          at.turn = this.#turnOf(events[at.index]!, inline);
          return;
        } catch (error) {
          failures.push(...EventDeliveryError.failuresOf(events[at.index]!, '(pipeline)', error));
        }
      }
    };
    const deliverNext = async (nested: boolean): Promise<void> => {
      const event = events[at.index]!;
      try {
        await (nested
          ? this.#deliverOne(event, signal, true, inline)
          : this.#deliverInScope(event, signal, inline));
      } catch (error) {
        failures.push(...EventDeliveryError.failuresOf(event, '(pipeline)', error));
      }
      advance();
    };
    advance();
    while (at.index < events.length) {
      const key = at.turn;
      if (typeof key !== 'string') await deliverNext(key === NESTED);
      else
        await this.#inTurn(key, events[at.index]!, inline, async () => {
          do await deliverNext(false);
          while (at.index < events.length && at.turn === key);
        });
    }
    throwFailures(failures);
  }

  /** The {@link Turn} of `event` in a publish; `inline`: the publisher waits (see `#send`). */
  #turnOf(event: Message, inline: boolean): Turn {
    return inline && this.#isNested(event) ? NESTED : this.#orderingKey(event);
  }

  #assertOpen(operation: string, events?: readonly Message[]): void {
    if (this.#state === 'open') return;
    const followUps =
      events !== undefined && events.length > 0 && events.every((event) => this.#isNested(event));
    if (this.#state === 'closing' && followUps) return;
    throw new EventBusClosedError(operation);
  }

  /**
   * Whether `event` comes from a handler of a delivery in progress on this bus: it names that
   * delivery's event as its cause, or (ambient correlation) that event is in scope.
   */
  #isNested(event: Message): boolean {
    return (
      this.#inFlight.causedByOneOf(event) ||
      someInScope((message) => this.#inFlight.has(message.metadata.messageId)) ||
      (this.#detectNesting && insideDeliveryOf(this, (id) => this.#inFlight.has(id)))
    );
  }

  #inBackground(events: readonly Message[]): void {
    // Not nested even when caused by a running delivery: nobody waits for these, so they take
    // their turn in the ordering queue and a concurrency slot like any other publish.
    const task = this.#send(events, undefined, false).catch((error: unknown) => {
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

  /**
   * Delivers `event` in its turn; rejects with an {@link EventDeliveryError} listing every failure.
   * `awaited`: a caller waits for this delivery (a publish in wait mode).
   */
  #deliverOrdered(
    event: Message,
    signal: AbortSignal | undefined,
    nested: boolean,
    awaited = false,
  ): Promise<void> {
    const key = this.#orderingKey(event);
    if (nested) return this.#deliverOne(event, signal, true, awaited);
    if (key === undefined) return this.#deliverInScope(event, signal, awaited);
    if (this.#detectNesting) return this.#queue.run(key, () => this.#deliverInScope(event, signal, awaited));
    if (awaited && this.#queue.has(key))
      return this.#runWatched(key, event, () => this.#deliverOne(event, signal, false, awaited));
    return this.#queue.run(key, () => this.#deliverOne(event, signal, false, awaited));
  }

  /** Runs `task`, the delivery of `event` and maybe of the events after it, in a turn of `key`. */
  #inTurn(key: string, event: Message, awaited: boolean, task: () => Promise<void>): Promise<void> {
    if (!this.#detectNesting && awaited && this.#queue.has(key)) return this.#runWatched(key, event, task);
    return this.#queue.run(key, task);
  }

  /**
   * Runs `task`, an awaited delivery of `event` queued behind another delivery of its key,
   * warning once per bus (a process warning) if its turn has not come after
   * {@link NESTED_WAIT_WARNING_MS}: the likely cause is a handler of the running delivery
   * awaiting this publish without naming its event as the cause, which waits forever.
   */
  #runWatched(key: string, event: Message, task: () => Promise<void>): Promise<void> {
    const watch = this.#warnings.watchQueue(key, event);
    return this.#queue.run(key, () => {
      clearTimeout(watch);
      return task();
    });
  }

  /**
   * Delivers `event` (not nested); with `nestedPublishes: 'detect'`, inside the delivery scope
   * that marks what its handlers publish and await as nested.
   */
  #deliverInScope(event: Message, signal: AbortSignal | undefined, awaited: boolean): Promise<void> {
    if (!this.#detectNesting) return this.#deliverOne(event, signal, false, awaited);
    return runInDelivery(this, event.metadata.messageId, () =>
      this.#deliverOne(event, signal, false, awaited),
    );
  }

  /** `awaited`: a caller waits for this delivery, so a long wait for a slot is warned of. */
  #deliverOne(
    event: Message,
    signal: AbortSignal | undefined,
    nested: boolean,
    awaited: boolean,
  ): Promise<void> {
    this.#inFlight.enter(event);
    // Without bus middleware or telemetry the pipeline is the fan-out itself: it ends the
    // delivery as it settles, with no promise of its own around it.
    if (this.#middleware.length === 0 && !telemetryEnabled())
      return this.#fanOut.run(
        new DispatchContext('event', event, signal),
        nested,
        this.#fanOut.releaseAll,
        awaited,
      );
    const leave = (): void => this.#inFlight.leave(event);
    const pipelines = this.#pipelines;
    const pipeline = nested ? pipelines.nested : awaited ? pipelines.awaited : pipelines.top;
    let delivered: Promise<unknown>;
    try {
      delivered = !telemetryEnabled()
        ? pipeline(new DispatchContext('event', event, signal))
        : traceDispatch('event', event, this.#clock, (span) => pipeline(this.#context(event, signal, span)));
    } catch (error) {
      delivered = Promise.reject(error);
    }
    return delivered.then(leave, (error: unknown) => {
      leave();
      throw new EventDeliveryError(EventDeliveryError.failuresOf(event, '(pipeline)', error));
    });
  }

  #context(event: Message, signal: AbortSignal | undefined, span: TelemetrySpan): DispatchContext {
    return new DispatchContext('event', event, signal, undefined, undefined, span);
  }

  #composeEventPipelines(): EventPipelines {
    const fanOut = this.#fanOut;
    return {
      top: compose(this.#middleware, (context) => fanOut.run(context, false)),
      awaited: compose(this.#middleware, (context) => fanOut.run(context, false, fanOut.releaseSlots, true)),
      nested: compose(this.#middleware, (context) => fanOut.run(context, true)),
    };
  }

  #composeHandler(entry: Subscription): Terminal {
    const { handler } = entry;
    return compose(this.#handlerMiddleware, (context) => callHandler(context, handler));
  }
}

/**
 * The event pipelines of a bus: for deliveries nobody waits for, for awaited ones (a handler
 * that waits long for a slot is warned of), and for nested ones (their handlers take no slot).
 */
interface EventPipelines {
  readonly top: Terminal;
  readonly awaited: Terminal;
  readonly nested: Terminal;
}

/** Throws one {@link EventDeliveryError} listing `failures`, if there are any. */
function throwFailures(failures: readonly EventHandlerFailure[]): void {
  if (failures.length > 0) throw new EventDeliveryError(failures);
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
