import { throwIfAborted, withDefaults } from '@keel/core';
import { checkDeadLetter, checkDeadLetterKey, checkProjectionName } from '@keel/eventsourcing';
import type {
  DeadLetter,
  DeadLetterError,
  DeadLetterStore,
  RecordedEvent,
  SignalOptions,
} from '@keel/eventsourcing';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { toJsonParam } from '../../internal/json.js';
import { toNumber } from '../../internal/normalize.js';
import { toDate } from '../eventStore/eventRows.js';

/** Options of {@link PostgresDeadLetterStore}. */
export interface PostgresDeadLetterStoreOptions {
  /** The schema that holds the `dead_letters` table (created by `migrate()`). @default 'keel' */
  schema?: string;
}

/** The defaults of {@link PostgresDeadLetterStoreOptions}. */
export const POSTGRES_DEAD_LETTER_STORE_DEFAULTS = Object.freeze({ schema: 'keel' });

interface DeadLetterRow {
  readonly projection: string;
  readonly position: unknown;
  readonly event: RecordedEvent & { readonly recordedAt: string };
  readonly error: DeadLetterError;
  readonly failed_at: unknown;
}

/**
 * A {@link DeadLetterStore} on PostgreSQL or PGlite: the events a projection gave up on, with
 * the error, keyed by projection and global position, for an operator to inspect and replay.
 *
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const letters = await new PostgresDeadLetterStore(client).list('balances');
 * ```
 */
export class PostgresDeadLetterStore implements DeadLetterStore {
  readonly #client: SqlExecutor;
  readonly #table: string;

  /**
   * @param client A client or transaction.
   * @param options See {@link PostgresDeadLetterStoreOptions}.
   */
  constructor(client: SqlExecutor, options: PostgresDeadLetterStoreOptions = {}) {
    const settings = withDefaults(POSTGRES_DEAD_LETTER_STORE_DEFAULTS, options);
    this.#client = client;
    this.#table = sqlSchema(settings.schema).table('dead_letters');
  }

  /**
   * Records a dead letter; adding a letter again replaces it.
   *
   * @throws {ValidationError} when a field is refused (`checkDeadLetter`).
   * @throws {SerializationError} when the event cannot be stored as JSON.
   */
  async add(letter: DeadLetter, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkDeadLetter(letter);
    const what = `the dead letter of projection "${letter.projection}" at position ${letter.position}`;
    await this.#client.query(
      `INSERT INTO ${this.#table} (projection, position, event, error, failed_at)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::timestamptz)
       ON CONFLICT (projection, position) DO UPDATE SET event = EXCLUDED.event, error = EXCLUDED.error,
         failed_at = EXCLUDED.failed_at`,
      [
        letter.projection,
        letter.position,
        toJsonParam(letter.event, what),
        toJsonParam(letter.error, what),
        letter.failedAt.toISOString(),
      ],
    );
  }

  async list(projection?: string, options: SignalOptions = {}): Promise<readonly DeadLetter[]> {
    throwIfAborted(options.signal);
    if (projection !== undefined) checkProjectionName(projection);
    const { rows } = await this.#client.query<DeadLetterRow>(
      `SELECT projection, position, event, error, failed_at FROM ${this.#table}
       WHERE $1::text IS NULL OR projection = $1 ORDER BY position, projection`,
      [projection ?? null],
    );
    return rows.map((row) => ({
      projection: row.projection,
      position: toNumber(row.position),
      event: { ...row.event, recordedAt: new Date(row.event.recordedAt) },
      error: row.error,
      failedAt: toDate(row.failed_at),
    }));
  }

  async remove(projection: string, position: number, options: SignalOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    checkDeadLetterKey(projection, position);
    const { rowCount } = await this.#client.query(
      `DELETE FROM ${this.#table} WHERE projection = $1 AND position = $2`,
      [projection, position],
    );
    return rowCount > 0;
  }
}
