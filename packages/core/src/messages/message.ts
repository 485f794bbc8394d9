import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import { newId, newIdAt } from '../id/newId.js';
import { telemetryEnabled, traceHeaders, TRACEPARENT } from '../telemetry/telemetry.js';
import { assertMessageOptions } from './messageOptions.js';

/**
 * The aggregate an event comes from, and the stream it is recorded in. Repositories set it on
 * every event an aggregate raises; the event bus orders deliveries by `stream` by default, and
 * transports carry it with the rest of the metadata.
 */
export interface AggregateRef {
  /** The aggregate's type, e.g. `Order`. */
  readonly type: string;
  /** The aggregate's id, as a string. */
  readonly id: string;
  /** The stream the aggregate's events are recorded in, e.g. `Order-42`. */
  readonly stream: string;
  /** The aggregate version the event produced (1 for an aggregate's first event). */
  readonly version: number;
}

/** Facts about a message that travel with it: identity, tracing and tenancy. */
export interface Metadata {
  /** Unique id of this message (UUID v7). Idempotency and de-duplication key on it. */
  readonly messageId: string;
  /** The id shared by every message of one business flow: the first message's id. */
  readonly correlationId: string;
  /** The id of the message that caused this one; absent for the first message of a flow. */
  readonly causationId?: string;
  /** When the message was created, as an ISO-8601 string. */
  readonly occurredAt: string;
  /** The tenant the message belongs to, in multi-tenant systems. */
  readonly tenantId?: string;
  /** Free-form string headers (trace ids, user ids, schema versions …). */
  readonly headers: Readonly<Record<string, string>>;
  /** The aggregate an event comes from; set on events raised by an aggregate, absent otherwise. */
  readonly aggregate?: AggregateRef;
}

/** A typed message: a `type` discriminant, its `data`, and {@link Metadata}. */
export interface Message<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
  readonly metadata: Metadata;
}

declare const resultOf: unique symbol;

/**
 * A request to change state, handled by exactly one handler. `TResult` is the type the handler
 * returns; it exists only in the type system.
 */
export interface Command<TType extends string = string, TData = unknown, TResult = void> extends Message<
  TType,
  TData
> {
  readonly [resultOf]?: TResult;
}

/** A request to read state, answered with a `TResult`; it exists only in the type system. */
export interface Query<TType extends string = string, TData = unknown, TResult = unknown> extends Message<
  TType,
  TData
> {
  readonly [resultOf]?: TResult;
}

/** Something that happened in the domain, named in the past tense (`OrderPlaced`). */
export type DomainEvent<TType extends string = string, TData = unknown> = Message<TType, TData>;

/** The result type carried by a {@link Command} or {@link Query}. */
export type ResultOf<TMessage> = TMessage extends { readonly [resultOf]?: infer TResult } ? TResult : never;

/** Options of the message factories; an option that is `undefined` keeps its default. */
export interface MessageOptions {
  /** The message this one is a consequence of: its correlation id is kept and its id becomes the causation id. */
  causedBy?: Pick<Message, 'metadata'> | undefined;
  /** Overrides for individual metadata fields (e.g. a message id from an upstream system). */
  metadata?: Partial<Metadata> | undefined;
  /** The clock used for `occurredAt`. @default systemClock */
  clock?: Clock | undefined;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
let cachedMs = Number.NaN;
let cachedIso = '';

/** `new Date(ms).toISOString()`, computed once per millisecond: messages come in bursts. */
function isoTime(ms: number): string {
  if (ms !== cachedMs) {
    cachedIso = new Date(ms).toISOString();
    cachedMs = ms;
  }
  return cachedIso;
}

/**
 * Builds {@link Metadata}: a fresh UUID v7 message id, correlation and causation taken from
 * `causedBy` (or the new id when there is none), and `occurredAt` from the clock. The headers
 * carry W3C trace context (`traceparent`, `tracestate`): the active span's when telemetry is
 * installed, else the one `causedBy` carried; headers given in `metadata` win.
 *
 * @throws {ValidationError} when an option is of the wrong kind (nothing is built): `causedBy`
 *   that is not a message (metadata with a `messageId`) or whose headers are not an object of
 *   strings, metadata ids that are not non-empty strings, a `tenantId` that is not a string, an
 *   `occurredAt` that is not a date, headers with values that are not strings, an `aggregate`
 *   without its strings and version, a `clock` without `now`.
 */
export function createMetadata(options?: MessageOptions): Metadata {
  if (options !== undefined) assertMessageOptions(options);
  const plain = options === undefined || (options.causedBy === undefined && options.metadata === undefined);
  if (plain && !telemetryEnabled()) return freshMetadata(options?.clock ?? systemClock);
  const { causedBy, metadata = {}, clock = systemClock } = options ?? {};
  const parent = causedBy?.metadata;
  // One reading of the system clock stamps both the id and the time, as for a plain message.
  let { messageId, occurredAt } = metadata;
  const reads = occurredAt === undefined || (messageId === undefined && clock === systemClock);
  const now = reads ? clock.now() : Number.NaN;
  messageId ??= clock === systemClock ? newIdAt(now) : newId();
  occurredAt ??= isoTime(now);
  const causationId = metadata.causationId ?? parent?.messageId;
  const tenantId = metadata.tenantId ?? parent?.tenantId;
  // Built field by field, in the order of the interface: spreads of optional fields cost more.
  const result: Mutable<Metadata> = {
    messageId,
    // A cause without a correlation id starts its flow: its own id is the flow's.
    correlationId: metadata.correlationId ?? parent?.correlationId ?? parent?.messageId ?? messageId,
  } as Mutable<Metadata>;
  if (causationId !== undefined) result.causationId = causationId;
  result.occurredAt = occurredAt;
  if (tenantId !== undefined) result.tenantId = tenantId;
  result.headers = headersOf(parent, metadata.headers);
  if (metadata.aggregate !== undefined) result.aggregate = Object.freeze({ ...metadata.aggregate });
  return Object.freeze(result);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The headers of a new message: W3C trace context (the active span's when telemetry is
 * installed, else the one the cause carried) under the given headers, frozen; the shared empty
 * headers when there is neither.
 */
function headersOf(
  parent: Metadata | undefined,
  given: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  // Trace context rides along: the active span's, else the cause's, so one trace links a flow.
  if (telemetryEnabled() || parent?.headers?.[TRACEPARENT] !== undefined)
    return Object.freeze({ ...traceHeaders(parent?.headers), ...given });
  return given === undefined ? NO_HEADERS : Object.freeze({ ...given });
}

/** The metadata of a message that starts a flow, untraced: the hot path of `send` and `createEvent`. */
function freshMetadata(clock: Clock): Metadata {
  // With the system clock (the id generator's), one reading stamps both the id and the time:
  // a clock read costs as much as the rest of the metadata on some machines.
  const now = clock.now();
  const messageId = clock === systemClock ? newIdAt(now) : newId();
  return Object.freeze({
    messageId,
    correlationId: messageId,
    occurredAt: isoTime(now),
    headers: NO_HEADERS,
  });
}

/**
 * Creates a message of any kind with full metadata.
 *
 * @throws {TypeError} when `type` is not a non-empty string.
 * @throws {ValidationError} when an option is of the wrong kind (see {@link createMetadata}).
 * @example
 * ```ts
 * const placed = createMessage('OrderPlaced', { orderId: 'o-1' }, { causedBy: placeOrder });
 * ```
 */
export function createMessage<TType extends string, TData>(
  type: TType,
  data: TData,
  options?: MessageOptions,
): Message<TType, TData> {
  if (typeof type !== 'string' || type.length === 0) {
    throw new TypeError(`A message type must be a non-empty string; got ${JSON.stringify(type)}.`);
  }
  return Object.freeze({ type, data, metadata: createMetadata(options) });
}

/** Creates a {@link Command}; pass `TResult` to type what its handler returns. */
export function createCommand<TType extends string, TData, TResult = void>(
  type: TType,
  data: TData,
  options?: MessageOptions,
): Command<TType, TData, TResult> {
  return createMessage(type, data, options);
}

/** Creates a {@link Query}; pass `TResult` to type its answer. */
export function createQuery<TType extends string, TData, TResult = unknown>(
  type: TType,
  data: TData,
  options?: MessageOptions,
): Query<TType, TData, TResult> {
  return createMessage(type, data, options);
}

/** Creates a {@link DomainEvent}. */
export function createEvent<TType extends string, TData>(
  type: TType,
  data: TData,
  options?: MessageOptions,
): DomainEvent<TType, TData> {
  return createMessage(type, data, options);
}
