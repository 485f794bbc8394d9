import { systemClock, throwIfAborted } from '@keel/core';
import type { Clock, EventPublisher, Message } from '@keel/core';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toJsonParam } from '../internal/json.js';
import { checkName, checkNonNegative } from '../internal/options.js';
import { toNumber } from '../internal/normalize.js';
import { OutboxRelay } from './outboxRelay.js';
import type { OutboxRelayOptions } from './outboxRelayOptions.js';

/** Messages per INSERT statement: 3 parameters each stays far below PostgreSQL's 65,535. */
const ENQUEUE_CHUNK = 1_000;

/** Options of {@link PostgresOutbox}. */
export interface PostgresOutboxOptions {
  /** The schema that holds the `outbox` table (created by `migrate()`). @default 'keel' */
  schema?: string;
  /** The clock for enqueue times and purging. @default systemClock */
  clock?: Clock;
}

/** The defaults of {@link PostgresOutboxOptions}. */
export const POSTGRES_OUTBOX_DEFAULTS = Object.freeze({ schema: 'keel', topic: 'default' });

/** Options of {@link PostgresOutbox.enqueue}. */
export interface OutboxEnqueueOptions {
  /** The topic: each relay publishes one topic, so different topics can go to different transports. @default 'default' */
  topic?: string;
  /** Holds the messages back for this many ms before a relay may publish them. @default 0 */
  delayMs?: number;
  /** Checked before writing. */
  signal?: AbortSignal;
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
    this.#client = client;
    this.#schema = options.schema ?? POSTGRES_OUTBOX_DEFAULTS.schema;
    this.#table = sqlSchema(this.#schema).table('outbox');
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Stores `messages` for publication, in order, through `tx`: pass the transaction of the
   * business change so both commit or roll back together. A message whose id is already in
   * the outbox is skipped, so enqueueing twice is harmless.
   *
   * @param tx The transaction (or, losing atomicity, any client) to write through.
   * @throws {SerializationError} when a message cannot be stored as JSON.
   */
  async enqueue(
    tx: SqlExecutor,
    messages: readonly Message[],
    options: OutboxEnqueueOptions = {},
  ): Promise<void> {
    throwIfAborted(options.signal);
    if (messages.length === 0) return;
    const topic = checkName('topic', options.topic ?? POSTGRES_OUTBOX_DEFAULTS.topic);
    const now = this.#clock.now();
    const availableAt = now + checkNonNegative('delayMs', options.delayMs ?? 0);
    const shared = [topic, now, availableAt];
    if (messages.length <= ENQUEUE_CHUNK) return this.#insert(tx, messages, shared);
    // Several statements: keep them atomic even when `tx` is a plain client.
    await tx.transaction(async (inner) => {
      for (let start = 0; start < messages.length; start += ENQUEUE_CHUNK) {
        await this.#insert(inner, messages.slice(start, start + ENQUEUE_CHUNK), shared);
      }
    });
  }

  async #insert(tx: SqlExecutor, messages: readonly Message[], shared: readonly unknown[]): Promise<void> {
    const values: string[] = [];
    const params: unknown[] = [...shared];
    for (const message of messages) {
      const base = params.length;
      params.push(message.metadata.messageId, message.type, toJsonParam(message, `message ${message.type}`));
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
    return new OutboxRelay(this.#client, publisher, { clock: this.#clock, ...options, schema: this.#schema });
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
   */
  async purgeDispatched(olderThanMs: number, signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    const cutoff = this.#clock.now() - checkNonNegative('olderThanMs', olderThanMs);
    const { rowCount } = await this.#client.query(
      `DELETE FROM ${this.#table} WHERE dispatched_at IS NOT NULL AND dispatched_at <= $1`,
      [cutoff],
    );
    return rowCount;
  }
}
