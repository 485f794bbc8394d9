import { noopLogger, systemClock, withDefaults } from '@keel/core';
import type { Clock, Logger, Message } from '@keel/core';
import { EVENT_BUS_DEFAULTS } from '@keel/cqrs';
import { jsonEventCodec } from '../codec/jsonEventCodec.js';
import type { EventCodec } from '../codec/jsonEventCodec.js';
import { NatsOptionError } from '../errors/errors.js';
import {
  checkName,
  checkSubject,
  MAX_SUBJECT_BYTES,
  subjectToken,
  utf8Length,
} from '../internal/subjects.js';

/** Where a new durable consumer starts: every stored event, or only events published after it was created. */
export type NatsDeliverPolicy = 'all' | 'new';

/** How JetStream stores the streams created by `ensureStream()`. */
export type NatsStorage = 'file' | 'memory';

/** Options of {@link createNatsEventTransport}. */
export interface NatsEventTransportOptions {
  /** The JetStream stream holding the events. @default 'KEEL_EVENTS' */
  stream?: string | undefined;
  /** Every event subject starts with `<subjectPrefix>.`; the stream captures `<subjectPrefix>.>`. @default 'keel.events' */
  subjectPrefix?: string | undefined;
  /**
   * The subject of each event; it must be under `subjectPrefix`, a literal subject and at most
   * 1024 UTF-8 bytes long (a NATS server drops the connection on a longer protocol line), else
   * `publish()` throws `NatsInvalidSubjectError` before sending anything. A subscription orders events by
   * `orderingKey`, and events without one by subject.
   * @default `<subjectPrefix>.<type>` (whitespace, `.`, `*`, `>` in the type become `_`)
   */
  subject?: ((event: Message, subjectPrefix: string) => string) | undefined;
  /** The durable consumer that `subscribe()` reads with; subscribers sharing it split the events. @default 'keel-event-bus' */
  durableName?: string | undefined;
  /**
   * Which subjects the consumer receives (several need NATS server 2.10+).
   * @default [`<subjectPrefix>.>`]
   */
  filterSubjects?: readonly string[] | undefined;
  /** Where a new consumer starts (ignored for an existing one). @default 'all' */
  deliverPolicy?: NatsDeliverPolicy | undefined;
  /** How long JetStream waits for an ack or a heartbeat before redelivering (see `heartbeat`). @default 30_000 */
  ackWaitMs?: number | undefined;
  /**
   * How many times an event is delivered before it is dead-lettered: a handler failing on the
   * `maxDeliver`-th delivery sends it to the dead-letter subject.
   * @default 5
   */
  maxDeliver?: number | undefined;
  /**
   * Redelivery delay after the n-th failed delivery: `backoffMs[n - 1]`, the last value repeating.
   * @default [1_000, 5_000, 15_000, 30_000]
   */
  backoffMs?: readonly number[] | undefined;
  /** The subject dead letters go to, or `false` to terminate failed events without a copy. @default `keel.dead-letter.<stream>` */
  deadLetterSubject?: string | false | undefined;
  /** The stream `ensureStream()` creates for the dead-letter subject. @default `<stream>_DLQ` */
  deadLetterStream?: string | undefined;
  /** Events handled at once per subscription; events of one ordering key are always one at a time. @default 1 */
  concurrency?: number | undefined;
  /**
   * The key whose events a subscription hands to the handler one at a time, in stream order:
   * the same key the event bus orders by, so an aggregate's events are handled in order even
   * when they travel on different subjects. Events without a key are ordered by subject.
   * @default `metadata.aggregate.stream`, else the `streamId` header, else the `aggregateId` header (the event bus's default)
   */
  orderingKey?: ((event: Message) => string | undefined) | undefined;
  /**
   * The most events a subscription holds at once (being handled, or waiting for their ordering key
   * or a free `concurrency` slot), never fewer than `concurrency`; it pulls more as they settle.
   * A held event is marked in progress every `ackWaitMs / 2` (with `heartbeat`) from arrival until
   * it is acked, naked or dead-lettered, so waiting does not make JetStream redeliver it, and a copy
   * JetStream sends anyway is not handled twice. While the subscription is full, the NATS client
   * may buffer up to `prefetch` more events that are not yet marked: keep `prefetch` small
   * compared with the events handled per `ackWaitMs`.
   * @default 10
   */
  prefetch?: number | undefined;
  /** The most events delivered but not yet acknowledged, across subscribers of the consumer. @default 1_000 */
  maxAckPending?: number | undefined;
  /**
   * Whether the subscription tells JetStream every `ackWaitMs / 2` that an event it holds (handled
   * or waiting its turn) is still in progress, preventing a redelivery.
   * @default true
   */
  heartbeat?: boolean | undefined;
  /** JetStream's de-duplication window for message ids (set by `ensureStream()`). @default 120_000 */
  duplicateWindowMs?: number | undefined;
  /** The oldest event age `ensureStream()` keeps, or 0 to keep events until deleted. @default 0 */
  maxAgeMs?: number | undefined;
  /**
   * How many servers of a JetStream cluster hold a copy of each stream `ensureStream()` creates
   * (the event stream and the dead-letter stream); 3 survives the loss of any one server. Needs a
   * cluster of at least that many servers; a single server accepts only 1. An existing stream
   * with fewer replicas is raised to this many, never lowered. Durable consumers take the
   * stream's replicas.
   * @default 1
   */
  replicas?: number | undefined;
  /**
   * How long `publish()`, `ensureStream()` and `subscribe()` keep retrying a JetStream request
   * that failed transiently (a timeout, no server answering, a 503 while a leader is elected),
   * so callers do not see a cluster fail over. A publish is retried with the same `Nats-Msg-Id`,
   * so a copy stored by an unconfirmed attempt is dropped as a duplicate; hence
   * `failoverRetryMs + publishTimeoutMs` must fit in `duplicateWindowMs`. 0 disables retries.
   * @default 20_000, or less to fit `duplicateWindowMs - publishTimeoutMs`
   */
  failoverRetryMs?: number | undefined;
  /** Storage of streams created by `ensureStream()`. @default 'file' */
  storage?: NatsStorage | undefined;
  /** Whether the first `publish()` or `subscribe()` calls `ensureStream()` itself. @default false */
  createStream?: boolean | undefined;
  /** How long `publish()` waits for JetStream to store each event. @default 5_000 */
  publishTimeoutMs?: number | undefined;
  /** How event bodies are written and read. @default jsonEventCodec */
  codec?: EventCodec | undefined;
  /** The source of time and timers (heartbeats, dead-letter timestamps). @default systemClock */
  clock?: Clock | undefined;
  /** Where redeliveries, dead letters and consumer problems are logged. @default noopLogger */
  logger?: Logger | undefined;
}

/** The defaults of {@link NatsEventTransportOptions}. */
export const NATS_TRANSPORT_DEFAULTS = Object.freeze({
  stream: 'KEEL_EVENTS',
  subjectPrefix: 'keel.events',
  subject: (event: Message, subjectPrefix: string): string => `${subjectPrefix}.${subjectToken(event.type)}`,
  durableName: 'keel-event-bus',
  deliverPolicy: 'all' as NatsDeliverPolicy,
  ackWaitMs: 30_000,
  maxDeliver: 5,
  backoffMs: Object.freeze([1_000, 5_000, 15_000, 30_000]) as readonly number[],
  concurrency: 1,
  orderingKey: EVENT_BUS_DEFAULTS.orderingKey,
  prefetch: 10,
  maxAckPending: 1_000,
  heartbeat: true,
  duplicateWindowMs: 120_000,
  maxAgeMs: 0,
  replicas: 1,
  failoverRetryMs: 20_000,
  storage: 'file' as NatsStorage,
  createStream: false,
  publishTimeoutMs: 5_000,
  codec: jsonEventCodec,
  clock: systemClock,
  logger: noopLogger,
});

/** Options with every default applied and every range checked. */
export type ResolvedNatsOptions = Readonly<
  {
    [K in keyof Omit<NatsEventTransportOptions, 'deadLetterSubject'>]-?: Exclude<
      NatsEventTransportOptions[K],
      undefined
    >;
  } & { deadLetterSubject: string | false }
>;

/**
 * Merges `options` over {@link NATS_TRANSPORT_DEFAULTS} (an option that is `undefined` keeps its
 * default) and checks every value.
 *
 * @throws {NatsOptionError} naming the first option out of range.
 */
export function resolveNatsOptions(options: NatsEventTransportOptions = {}): ResolvedNatsOptions {
  // An option set to undefined keeps its default (a bare spread would replace it with undefined).
  const merged = withDefaults(NATS_TRANSPORT_DEFAULTS, options);
  const stream = checkName('stream', merged.stream);
  const subjectPrefix = checkSubject('subjectPrefix', merged.subjectPrefix);
  const deadLetterSubject = resolveDeadLetterSubject(options.deadLetterSubject, stream, subjectPrefix);
  const duplicateWindowMs = checkInteger('duplicateWindowMs', merged.duplicateWindowMs, 1);
  const publishTimeoutMs = checkInteger('publishTimeoutMs', merged.publishTimeoutMs, 1);
  const failoverRetryMs = resolveFailoverRetry(options.failoverRetryMs, duplicateWindowMs - publishTimeoutMs);
  return Object.freeze({
    ...merged,
    stream,
    subjectPrefix,
    subject: checkFunction('subject', merged.subject),
    durableName: checkName('durableName', merged.durableName),
    filterSubjects: resolveFilters(options.filterSubjects, subjectPrefix),
    deliverPolicy: checkOneOf('deliverPolicy', merged.deliverPolicy, ['all', 'new']),
    ackWaitMs: checkInteger('ackWaitMs', merged.ackWaitMs, 1),
    maxDeliver: checkInteger('maxDeliver', merged.maxDeliver, 1),
    backoffMs: checkBackoff(merged.backoffMs),
    deadLetterSubject,
    deadLetterStream: checkName('deadLetterStream', options.deadLetterStream ?? `${stream}_DLQ`),
    concurrency: checkInteger('concurrency', merged.concurrency, 1),
    orderingKey: checkFunction('orderingKey', merged.orderingKey),
    prefetch: checkInteger('prefetch', merged.prefetch, 1),
    maxAckPending: checkInteger('maxAckPending', merged.maxAckPending, 1),
    heartbeat: checkBoolean('heartbeat', merged.heartbeat),
    duplicateWindowMs,
    maxAgeMs: checkInteger('maxAgeMs', merged.maxAgeMs, 0),
    storage: checkOneOf('storage', merged.storage, ['file', 'memory']),
    createStream: checkBoolean('createStream', merged.createStream),
    publishTimeoutMs,
    failoverRetryMs,
    replicas: checkInteger('replicas', merged.replicas, 1, MAX_REPLICAS),
    codec: checkCodec(merged.codec),
  });
}

/** `failoverRetryMs`, which must leave every retry inside the duplicate window (`room` ms). */
function resolveFailoverRetry(value: number | undefined, room: number): number {
  // The default shrinks to fit a small duplicate window; a value the user chose is checked.
  if (value === undefined) return Math.max(0, Math.min(NATS_TRANSPORT_DEFAULTS.failoverRetryMs, room));
  const retryMs = checkInteger('failoverRetryMs', value, 0);
  if (retryMs > room) {
    // A retry after the window could store a second copy of an event an earlier attempt stored.
    throw new NatsOptionError(
      'failoverRetryMs',
      `at most duplicateWindowMs - publishTimeoutMs = ${room} ms, so that every retry is de-duplicated`,
      value,
    );
  }
  return retryMs;
}

function resolveDeadLetterSubject(value: unknown, stream: string, prefix: string): string | false {
  if (value === false) return false;
  const subject = checkSubject('deadLetterSubject', value ?? `keel.dead-letter.${stream}`);
  if (subject.startsWith(`${prefix}.`)) {
    throw new NatsOptionError(
      'deadLetterSubject',
      `a subject outside subjectPrefix "${prefix}." (the stream would capture dead letters)`,
      subject,
    );
  }
  return subject;
}

function resolveFilters(value: readonly string[] | undefined, prefix: string): readonly string[] {
  if (value === undefined) return Object.freeze([`${prefix}.>`]);
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.some(
      (subject) => typeof subject !== 'string' || subject === '' || utf8Length(subject) > MAX_SUBJECT_BYTES,
    )
  ) {
    throw new NatsOptionError(
      'filterSubjects',
      `a non-empty array of subjects of at most ${MAX_SUBJECT_BYTES} UTF-8 bytes each`,
      value,
    );
  }
  return Object.freeze([...value]);
}

/** JetStream keeps at most five copies of a stream. */
const MAX_REPLICAS = 5;

function checkInteger(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  throw new NatsOptionError(option, `an integer ${range}`, value);
}

function checkBackoff(value: unknown): readonly number[] {
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((ms) => typeof ms === 'number' && Number.isSafeInteger(ms) && ms >= 0);
  if (!ok) throw new NatsOptionError('backoffMs', 'a non-empty array of integer delays >= 0 ms', value);
  return Object.freeze([...(value as number[])]);
}

function checkOneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw new NatsOptionError(option, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
}

function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new NatsOptionError(option, 'true or false', value);
}

function checkFunction<T>(option: string, value: T): T {
  if (typeof value === 'function') return value;
  throw new NatsOptionError(option, 'a function', value);
}

function checkCodec(value: EventCodec): EventCodec {
  const ok =
    typeof value === 'object' &&
    value !== null &&
    typeof value.encode === 'function' &&
    typeof value.decode === 'function' &&
    typeof value.contentType === 'string';
  if (!ok) throw new NatsOptionError('codec', 'an object with contentType, encode() and decode()', value);
  return value;
}

/** The redelivery delay after the `failures`-th failed delivery (1-based). */
export function redeliveryDelay(backoffMs: readonly number[], failures: number): number {
  const index = Math.min(Math.max(failures, 1), backoffMs.length) - 1;
  return backoffMs[index] ?? 0;
}
