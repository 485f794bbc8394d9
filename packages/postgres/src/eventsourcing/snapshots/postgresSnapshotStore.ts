import { throwIfAborted, withDefaults } from '@keel/core';
import { checkSnapshot, checkStreamName } from '@keel/eventsourcing';
import type { SignalOptions, Snapshot, SnapshotStore } from '@keel/eventsourcing';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { fromJsonColumn, toJsonParam } from '../../internal/json.js';
import { toNumber } from '../../internal/normalize.js';
import { toDate } from '../eventStore/eventRows.js';

/** Options of {@link PostgresSnapshotStore}. */
export interface PostgresSnapshotStoreOptions {
  /** The schema that holds the `snapshots` table (created by `migrate()`). @default 'keel' */
  schema?: string;
}

/** The defaults of {@link PostgresSnapshotStoreOptions}. */
export const POSTGRES_SNAPSHOT_STORE_DEFAULTS = Object.freeze({ schema: 'keel' });

/** The expression the table is keyed by (see migration 111): names can outgrow a B-tree entry. */
const STREAM_KEY = 'hashtextextended(stream_name, 0)';

interface SnapshotRow {
  readonly stream_name: string;
  readonly version: unknown;
  readonly schema_version: unknown;
  readonly state: unknown;
  readonly state_is_null: boolean;
  readonly taken_at: unknown;
}

/**
 * A {@link SnapshotStore} on PostgreSQL or PGlite: the latest snapshot of each stream, one row
 * per stream. Saving an older snapshot than the stored one is a no-op, so concurrent savers
 * never move a stream's snapshot backwards. States are stored as JSON (core's `toStorableJson`
 * rules). Stream names up to `MAX_STREAM_NAME_LENGTH` are accepted whatever their characters.
 *
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const repository = new EventSourcedRepository(store, Account, { snapshots: { store: new PostgresSnapshotStore(client) } });
 * ```
 */
export class PostgresSnapshotStore implements SnapshotStore {
  readonly #client: SqlExecutor;
  readonly #table: string;

  /**
   * @param client A client or transaction.
   * @param options See {@link PostgresSnapshotStoreOptions}.
   */
  constructor(client: SqlExecutor, options: PostgresSnapshotStoreOptions = {}) {
    const settings = withDefaults(POSTGRES_SNAPSHOT_STORE_DEFAULTS, options);
    this.#client = client;
    this.#table = sqlSchema(settings.schema).table('snapshots');
  }

  async load<TState = unknown>(
    streamName: string,
    options: SignalOptions = {},
  ): Promise<Snapshot<TState> | undefined> {
    throwIfAborted(options.signal);
    checkStreamName(streamName);
    const { rows } = await this.#client.query<SnapshotRow>(
      `SELECT stream_name, version, schema_version, state, state IS NULL AS state_is_null, taken_at
       FROM ${this.#table} WHERE ${STREAM_KEY} = hashtextextended($1, 0) AND stream_name = $1`,
      [streamName],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      streamName: row.stream_name,
      version: toNumber(row.version),
      schemaVersion: toNumber(row.schema_version),
      state: fromJsonColumn(row.state, row.state_is_null) as TState,
      takenAt: toDate(row.taken_at),
    };
  }

  /**
   * Saves `snapshot` unless the stored one is at a higher version (an older snapshot never wins).
   *
   * @throws {ValidationError} when a field is out of range (`checkSnapshot`).
   * @throws {SerializationError} when the state cannot be stored as JSON.
   */
  async save(snapshot: Snapshot, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkSnapshot(snapshot);
    await this.#client.query(
      `INSERT INTO ${this.#table} AS t (stream_name, version, schema_version, state, taken_at)
       VALUES ($1, $2, $3, $4::jsonb, $5::timestamptz)
       ON CONFLICT ((${STREAM_KEY})) DO UPDATE SET stream_name = EXCLUDED.stream_name, version = EXCLUDED.version,
         schema_version = EXCLUDED.schema_version, state = EXCLUDED.state, taken_at = EXCLUDED.taken_at
       WHERE t.version <= EXCLUDED.version`,
      [
        snapshot.streamName,
        snapshot.version,
        snapshot.schemaVersion,
        toJsonParam(snapshot.state, `the snapshot state of stream "${snapshot.streamName}"`),
        snapshot.takenAt.toISOString(),
      ],
    );
  }

  async delete(streamName: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkStreamName(streamName);
    await this.#client.query(
      `DELETE FROM ${this.#table} WHERE ${STREAM_KEY} = hashtextextended($1, 0) AND stream_name = $1`,
      [streamName],
    );
  }
}
