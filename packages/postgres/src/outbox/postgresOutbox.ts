import {
  assertOptions,
  optionClock,
  optionString,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, EventPublisher, Message } from '@keel/core';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toNumber } from '../internal/normalize.js';
import { optionMs } from './optionMs.js';
import { optionText } from './optionText.js';
import { outboxRows } from './outboxRows.js';
import type { OutboxRow } from './outboxRows.js';
import { OutboxRelay } from './outboxRelay.js';
import { tracedEnqueue } from './outboxTelemetry.js';
import type { OutboxRelayOptions } from './outboxRelayOptions.js';

/** Messages per INSERT statement: 3 parameters each stays far below PostgreSQL's 65,535. */
const ENQUEUE_CHUNK = 1_000;

/** Options of {@link PostgresOutbox}; an option that is `undefined` keeps its default. */
export interface PostgresOutboxOptions {
  /** The schema that holds the `outbox` table (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
  /** The clock for enqueue times and purging. @default systemClock */
  clock?: Clock | undefined;
}

/** The defaults of {@link PostgresOutboxOptions} and {@link OutboxEnqueueOptions}. */
export const POSTGRES_OUTBOX_DEFAULTS = Object.freeze({
  schema: 'keel',
  clock: systemClock as Clock,
  topic: 'default',
  delayMs: 0,
});

/** Options of {@link PostgresOutbox.enqueue}; an option that is `undefined` keeps its default. */
export interface OutboxEnqueueOptions {
  /** The topic: each relay publishes one topic, so different topics can go to different transports. @default 'default' */
  topic?: string | undefined;
  /**
   * Holds the messages back for this many ms (whole ms from 0 to 2^52) before a relay may
   * publish them. A delayed message does not hold back later ones, even for an exclusive relay.
   * @default 0
   */
  delayMs?: number | undefined;
  /** Checked before writing. */
  signal?: AbortSignal | undefined;
}

/** How many outbox messages are in each state, see {@link PostgresOutbox.stats}. */
export interface OutboxStats {
  /** Waiting to be published (including those being retried). */
  readonly pending: number;
  /** Published and marked as such. */
  readonly dispatched: number;
  /** Given up after `maxAttempts`; see the `last_error` column. */
  readonly failed: number;
}

/**
 * The transactional outbox: write messages in the same transaction as the business change
 * that caused them ({@link PostgresOutbox.enqueue} with the transaction), so they are stored
 * if and only if the change commits; an {@link OutboxRelay} publishes them afterwards, at
 * least once, retrying failures with backoff.
 *
 * Messages are stored as JSON by core's `toStorableJson`, the rule every Keel store shares: a
 * message PostgreSQL cannot hold (a NUL character, a lone surrogate, a BigInt, a Map …) is
 * refused with `SerializationError` before anything is written, and the relay publishes the
 * message as JSON gives it back (a Date in `data` arrives as its ISO string).
 *
 * @throws {ValidationError} at construction when an option is out of range or of the wrong kind.
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const outbox = new PostgresOutbox(client);
 * await client.transaction(async (tx) => {
 *   await tx.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [10, 'a-1']);
 *   await outbox.enqueue(tx, [createEvent('Withdrawn', { accountId: 'a-1', amount: 10 })]);
 * });
 * const relay = outbox.createRelay(eventBus);
 * relay.start();
 * ```
 */
export class PostgresOutbox {
  readonly #client: SqlExecutor;
  readonly #schema: string;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(client: SqlExecutor, options: PostgresOutboxOptions = {}) {
    const { schema, clock } = withDefaults(POSTGRES_OUTBOX_DEFAULTS, options);
    assertOptions('PostgresOutbox', {
      schema: optionString(schema),
      clock: optionClock(clock, ['now', 'setTimeout', 'sleep']),
    });
    this.#client = client;
    this.#schema = schema;
    this.#table = sqlSchema(schema).table('outbox');
    this.#clock = clock;
  }

  /**
   * Stores `messages` for publication, in order, through `tx`: pass the transaction of the
   * business change so both commit or roll back together. A message whose id is already in
   * the outbox is skipped, so enqueueing twice is harmless.
   *
   * Every message is checked and serialized before anything is written, so a bad one leaves
   * the outbox (and `tx`) untouched.
   *
   * @param tx The transaction (or, losing atomicity, any client) to write through.
   * @throws {SerializationError} when a message cannot be stored: nothing is written.
   * @throws {ValidationError} when a message has no type or id, or an option is out of range.
   */
  async enqueue(
    tx: SqlExecutor,
    messages: readonly Message[],
    options: OutboxEnqueueOptions = {},
  ): Promise<void> {
    throwIfAborted(options.signal);
    const { topic, delayMs } = withDefaults(POSTGRES_OUTBOX_DEFAULTS, options);
    assertOptions('PostgresOutbox.enqueue', {
      topic: optionText(topic),
      delayMs: optionMs(delayMs, 0),
    });
    return tracedEnqueue(this.#schema, topic, messages, (stamped) =>
      this.#enqueue(tx, stamped, topic, delayMs),
    );
  }

  async #enqueue(
    tx: SqlExecutor,
    messages: readonly Message[],
    topic: string,
    delayMs: number,
  ): Promise<void> {
    const rows = outboxRows(messages);
    if (rows.length === 0) return;
    const now = Math.floor(this.#clock.now());
    const shared = [topic, now, now + delayMs];
    if (rows.length <= ENQUEUE_CHUNK) return this.#insert(tx, rows, shared);
    // Several statements: keep them atomic even when `tx` is a plain client.
    await tx.transaction(async (inner) => {
      for (let start = 0; start < rows.length; start += ENQUEUE_CHUNK) {
        await this.#insert(inner, rows.slice(start, start + ENQUEUE_CHUNK), shared);
      }
    });
  }

  async #insert(tx: SqlExecutor, rows: readonly OutboxRow[], shared: readonly unknown[]): Promise<void> {
    const values: string[] = [];
    const params: unknown[] = [...shared];
    for (const row of rows) {
      const base = params.length;
      params.push(row.messageId, row.type, row.json);
      values.push(`($${base + 1}, $1, $${base + 2}, $${base + 3}::jsonb, $2, $3)`);
    }
    await tx.query(
      `INSERT INTO ${this.#table} (message_id, topic, message_type, message, enqueued_at, available_at)
       VALUES ${values.join(', ')} ON CONFLICT (message_id) DO NOTHING`,
      params,
    );
  }

  /**
   * Creates a relay that publishes this outbox's messages (of one topic) to `publisher`: a
   * cqrs `EventBus`, an `EventTransport`, or any core `EventPublisher`.
   */
  createRelay(publisher: EventPublisher, options: Omit<OutboxRelayOptions, 'schema'> = {}): OutboxRelay {
    return new OutboxRelay(this.#client, publisher, {
      ...options,
      clock: options.clock ?? this.#clock,
      schema: this.#schema,
    });
  }

  /** How many messages (of `topic`, or all) are pending, dispatched and failed. */
  async stats(topic?: string): Promise<OutboxStats> {
    const { rows } = await this.#client.query<{ pending: number; dispatched: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE dispatched_at IS NULL AND failed_at IS NULL) AS pending,
              count(*) FILTER (WHERE dispatched_at IS NOT NULL) AS dispatched,
              count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed
       FROM ${this.#table} WHERE ($1::text IS NULL OR topic = $1)`,
      [topic ?? null],
    );
    const row = rows[0];
    return {
      pending: toNumber(row?.pending ?? 0),
      dispatched: toNumber(row?.dispatched ?? 0),
      failed: toNumber(row?.failed ?? 0),
    };
  }

  /**
   * Deletes messages that were dispatched more than `olderThanMs` ago.
   * @returns How many were deleted.
   * @throws {ValidationError} when `olderThanMs` is not whole ms from 0 to 2^52.
   */
  async purgeDispatched(olderThanMs: number, signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    assertOptions('PostgresOutbox.purgeDispatched', {
      olderThanMs: optionMs(olderThanMs, 0, undefined, true),
    });
    const cutoff = Math.floor(this.#clock.now()) - olderThanMs;
    const { rowCount } = await this.#client.query(
      `DELETE FROM ${this.#table} WHERE dispatched_at IS NOT NULL AND dispatched_at <= $1`,
      [cutoff],
    );
    return rowCount;
  }
}
