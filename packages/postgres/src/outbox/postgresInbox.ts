import {
  assertOptions,
  NEVER_ABORTED,
  optionClock,
  optionNumber,
  optionString,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Message } from '@keel/core';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor, SqlTransaction } from '../client/sqlClient.js';
import { optionText } from './optionText.js';
import { assertRecordable } from './outboxRows.js';
import { recordInboxDuplicate, tracedInbox } from './outboxTelemetry.js';

/** Options of {@link PostgresInbox}; an option that is `undefined` keeps its default. */
export interface PostgresInboxOptions {
  /** The schema that holds the `inbox` table (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
  /** The clock for processing times and purging. @default systemClock */
  clock?: Clock | undefined;
}

/** The defaults of {@link PostgresInboxOptions}. */
export const POSTGRES_INBOX_DEFAULTS = Object.freeze({ schema: 'keel', clock: systemClock as Clock });

/** What a handler run by {@link PostgresInbox.handle} receives besides the message. */
export interface InboxContext {
  /** The transaction the message id is recorded in: write the handler's changes through it. */
  readonly tx: SqlTransaction;
  /** Aborted when the caller stops waiting. */
  readonly signal: AbortSignal;
}

/** What {@link PostgresInbox.handle} did with a message. */
export type InboxOutcome<TResult> =
  /** First delivery: the handler ran and its transaction committed. */
  | { readonly status: 'processed'; readonly result: TResult }
  /** The message was processed before (or is being processed by someone else who then committed). */
  | { readonly status: 'duplicate' };

/** Options of {@link PostgresInbox.handle}. */
export interface InboxHandleOptions {
  /** Checked before starting and passed to the handler; an abort before commit rolls back. */
  signal?: AbortSignal;
}

/**
 * The idempotent consumer (inbox): records each processed message id, per consumer, in the
 * same transaction as the handler's changes, so a redelivered message (at-least-once
 * transports, an outbox relay that crashed before marking) is skipped, and a handler that
 * fails leaves no record and runs again on the next delivery.
 *
 * @param consumer The name of the consuming handler; each consumer processes a message once.
 * @throws {ValidationError} at construction when `consumer` or an option is of the wrong kind.
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const inbox = new PostgresInbox(client, 'billing');
 * events.subscribe('OrderPlaced', inbox.wrap(async (event, { tx }) => {
 *   await tx.query('INSERT INTO invoices (order_id) VALUES ($1)', [event.data.orderId]);
 * }));
 * ```
 */
export class PostgresInbox {
  readonly #client: SqlExecutor;
  readonly #consumer: string;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(client: SqlExecutor, consumer: string, options: PostgresInboxOptions = {}) {
    const { schema, clock } = withDefaults(POSTGRES_INBOX_DEFAULTS, options);
    assertOptions('PostgresInbox', {
      consumer: optionText(consumer, true),
      schema: optionString(schema),
      clock: optionClock(clock, ['now']),
    });
    this.#client = client;
    this.#consumer = consumer;
    this.#table = sqlSchema(schema).table('inbox');
    this.#clock = clock;
  }

  /** The consumer name this inbox records under. */
  get consumer(): string {
    return this.#consumer;
  }

  /**
   * Runs `handler` for `message` in a transaction that also records the message id, unless
   * this consumer already processed it. Two concurrent deliveries of one message: the second
   * waits for the first's transaction and is then reported as a duplicate (or runs, if the
   * first rolled back).
   *
   * @returns `processed` with the handler's result, or `duplicate`.
   * @throws whatever `handler` throws; nothing is recorded then.
   */
  async handle<TMessage extends Message, TResult>(
    message: TMessage,
    handler: (message: TMessage, context: InboxContext) => Promise<TResult>,
    options: InboxHandleOptions = {},
  ): Promise<InboxOutcome<TResult>> {
    throwIfAborted(options.signal);
    const signal = options.signal ?? NEVER_ABORTED;
    return tracedInbox(this.#consumer, message, () =>
      this.#client.transaction(
        async (tx): Promise<InboxOutcome<TResult>> => {
          if (!(await this.record(tx, message))) return { status: 'duplicate' };
          return { status: 'processed', result: await handler(message, { tx, signal }) };
        },
        options.signal === undefined ? {} : { signal: options.signal },
      ),
    );
  }

  /**
   * Wraps a handler for an event bus or transport subscription: each message runs through
   * {@link PostgresInbox.handle}, and duplicates are skipped silently.
   */
  wrap<TMessage extends Message>(
    handler: (message: TMessage, context: InboxContext) => Promise<void>,
  ): (message: TMessage, delivery?: { readonly signal?: AbortSignal }) => Promise<void> {
    return async (message, delivery) => {
      const signal = delivery?.signal;
      await this.handle(message, handler, signal === undefined ? {} : { signal });
    };
  }

  /**
   * Records `message` as processed through `tx` (use it inside your own transaction).
   * @returns `true` the first time, `false` when it was already recorded.
   * @throws {ValidationError} when the message has no type or id, and {@link SerializationError}
   *   when PostgreSQL cannot hold them (a NUL character): nothing is recorded then.
   */
  async record(tx: SqlExecutor, message: Message): Promise<boolean> {
    assertRecordable(message);
    const { rowCount } = await tx.query(
      `INSERT INTO ${this.#table} (consumer, message_id, message_type, processed_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (consumer, message_id) DO NOTHING`,
      [this.#consumer, message.metadata.messageId, message.type, this.#clock.now()],
    );
    if (rowCount === 0) recordInboxDuplicate(this.#consumer, message);
    return rowCount > 0;
  }

  /** Whether this consumer has processed the message with this id. */
  async has(messageId: string): Promise<boolean> {
    const { rows } = await this.#client.query(
      `SELECT 1 FROM ${this.#table} WHERE consumer = $1 AND message_id = $2`,
      [this.#consumer, messageId],
    );
    return rows.length > 0;
  }

  /**
   * Forgets the ids this consumer processed more than `olderThanMs` ago; keep them longer than
   * any redelivery can take.
   * @returns How many records were deleted.
   */
  async purge(olderThanMs: number, signal?: AbortSignal): Promise<number> {
    throwIfAborted(signal);
    assertOptions('PostgresInbox.purge', {
      olderThanMs: optionNumber(olderThanMs, { min: 0, required: true }),
    });
    const cutoff = this.#clock.now() - olderThanMs;
    const { rowCount } = await this.#client.query(
      `DELETE FROM ${this.#table} WHERE consumer = $1 AND processed_at <= $2`,
      [this.#consumer, cutoff],
    );
    return rowCount;
  }
}
