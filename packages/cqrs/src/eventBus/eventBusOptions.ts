import { noopLogger, systemClock } from '@keel/core';
import type { Clock, Logger, Message, PublishOptions } from '@keel/core';
import type { EventDeliveryError } from '../errors/errors.js';
import type { Middleware } from '../middleware/middleware.js';
import type { EventTransport, TransportSubscribeOptions } from '../transport/eventTransport.js';

/** How an event bus tells that a publish comes from one of its own handlers (see {@link EventBusOptions.nestedPublishes}). */
export type NestedPublishDetection = 'detect' | 'caused-by';

/** How `publish` delivers: waiting for every handler, or in the background. */
export type DeliveryMode = 'wait' | 'background';

/** Options of {@link createEventBus}; an option that is `undefined` keeps its default. */
export interface EventBusOptions {
  /**
   * Middleware around the delivery of each event to all of its handlers, outermost first:
   * validation, logging, correlation, idempotency belong here.
   * @default []
   */
  middleware?: readonly Middleware[] | undefined;
  /**
   * Middleware around each single handler call, outermost first: timeouts and policies (retry)
   * belong here, so one slow or failing handler is retried without re-running the others.
   * @default []
   */
  handlerMiddleware?: readonly Middleware[] | undefined;
  /**
   * The most handler calls running at once on this bus (an integer >= 1, or Infinity). A
   * handler that publishes to the same bus and awaits it (wait mode) takes no second slot for
   * what it publishes only when the bus knows the publish is nested (see
   * {@link EventBusOptions.nestedPublishes}: the new events name the handled event as their
   * cause, or ambient correlation or `'detect'` applies); then nesting cannot deadlock. Other
   * awaited publishes need a free slot like any publish, and wait forever when every slot is
   * held by handlers awaiting them: once such a publish has waited 10 s for a slot, the bus
   * emits a `KeelNestedPublishWarning` process warning (code `KEEL_NESTED_PUBLISH_SLOT_WAIT`,
   * once per bus). What handlers publish in background mode queues like any other publish.
   * @default 16
   */
  concurrency?: number | undefined;
  /**
   * The key whose events are delivered strictly in order (event N+1's handlers start after all
   * of event N's finished), across concurrent publishes and in both delivery modes. Events
   * without a key are only ordered within one `publish` call. A handler that publishes and
   * awaits (wait mode) an event is not queued behind its own event, which would deadlock.
   * @default the stream of the aggregate the event comes from (`metadata.aggregate.stream`, set
   *   on every event an aggregate raises), else the `streamId` header, else the `aggregateId` header
   */
  orderingKey?: ((event: Message) => string | undefined) | undefined;
  /**
   * How the bus knows that an awaited publish comes from a handler of a delivery still running
   * (and so must not queue behind it, which would wait forever).
   * - `'caused-by'`: by the causes the messages carry. An event is nested when its cause is the
   *   running delivery's event, or a command, query or event being handled now (by any bus of
   *   the process) whose own cause leads back to it: pass `causedBy: context.message` to what a
   *   handler sends or publishes, and `causedBy: command` to the repository's `save` (or to the
   *   events a command handler raises).
   *   With `correlationMiddleware({ ambient: true })` on the buses, causes are stamped for you.
   *   An awaited publish from inside a handler whose event names no such cause, with the key of
   *   the running delivery, waits for itself; once an awaited publish has waited 10 s behind a
   *   delivery of its key, the bus emits a `KeelNestedPublishWarning` process warning (once).
   * - `'detect'`: also anything awaited from inside a delivery's handlers, however deep, causes
   *   or not: deliveries (with an ordering key or without) run in an `AsyncLocalStorage` scope.
   *   This switches on async_hooks promise hooks once the first event is delivered, which makes
   *   every `await` in the process slower (about twice the cost on Node 20).
   * @default 'caused-by'
   */
  nestedPublishes?: NestedPublishDetection | undefined;
  /**
   * `'wait'`: `publish` resolves when every handler ran, or rejects with one
   * {@link EventDeliveryError}. `'background'`: `publish` resolves once the events are accepted
   * and failures go to `onError`. Each `publish` may override it.
   * @default 'wait'
   */
  delivery?: DeliveryMode | undefined;
  /**
   * Receives the failures of background deliveries.
   * @default logs them with `logger.error`
   */
  onError?: ((error: EventDeliveryError) => void) | undefined;
  /** Where background failures are logged when there is no `onError`. @default noopLogger */
  logger?: Logger | undefined;
  /**
   * When set, `publish` sends events through this transport instead of delivering them to local
   * handlers; call {@link EventBus.consume} (on this or another bus) to receive them.
   * @default undefined (deliver in process)
   */
  transport?: EventTransport | undefined;
  /** Times deliveries and handler calls for metrics (when telemetry is installed). @default systemClock */
  clock?: Clock | undefined;
}

/** The defaults of {@link EventBusOptions}. */
export const EVENT_BUS_DEFAULTS = Object.freeze({
  middleware: Object.freeze([]) as readonly Middleware[],
  handlerMiddleware: Object.freeze([]) as readonly Middleware[],
  concurrency: 16,
  orderingKey: (event: Message): string | undefined =>
    event.metadata.aggregate?.stream ??
    event.metadata.headers['streamId'] ??
    event.metadata.headers['aggregateId'],
  delivery: 'wait' as DeliveryMode,
  nestedPublishes: 'caused-by' as NestedPublishDetection,
  logger: noopLogger,
  clock: systemClock as Clock,
});

/** Options of `EventBus.subscribe`. */
export interface SubscribeOptions {
  /**
   * Names the handler in failure reports and logs, and keys its idempotency records
   * (`event:<id>:<name>` with `idempotencyMiddleware` as handler middleware). No two handlers
   * that one event reaches (those of its type and the wildcard ones) share a name: a name given
   * here that another subscription has is refused with an `InvalidOptionError`, and a default
   * name that is taken gets a ` #2`, ` #3`… suffix in subscription order. With a persistent
   * idempotency store, give explicit names: defaults depend on function names and subscription
   * order, which may change between deployments and would key records differently.
   * @default the function's name (`bound handle` for `obj.handle.bind(obj)`), else `<type> handler #<n>`
   */
  name?: string | undefined;
}

/** Options of `EventBus.publish`. */
export interface EventPublishOptions extends PublishOptions {
  /** Overrides the bus's {@link EventBusOptions.delivery} for this call. @default the bus's `delivery` */
  delivery?: DeliveryMode | undefined;
}

/**
 * The options `transport.subscribe` takes, which `EventBus.consume` hands on unchanged
 * (e.g. `durableName` for the NATS transport).
 */
export type ConsumeOptions<TTransport extends EventTransport = EventTransport> = TTransport extends {
  subscribe(handler: never, options?: infer TOptions): unknown;
}
  ? NonNullable<TOptions>
  : TransportSubscribeOptions;
