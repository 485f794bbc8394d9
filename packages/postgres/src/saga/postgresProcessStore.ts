import { assertOptions, ConcurrencyError, optionObject, optionString, withDefaults } from '@keel/core';
import type { Message } from '@keel/core';
import type { ProcessInstance, ProcessStatus, ProcessStore } from '@keel/saga';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { fromJsonColumn, toJsonParam } from '../internal/json.js';
import { toNumber } from '../internal/normalize.js';

/** Options of {@link PostgresProcessStore}. */
export interface PostgresProcessStoreOptions {
  /** The schema that holds the `processes` table (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
}

/** The defaults of {@link PostgresProcessStoreOptions}. */
export const POSTGRES_PROCESS_STORE_DEFAULTS = Object.freeze({ schema: 'keel' });

const SELECT = '*, state IS NULL AS state_is_null';

interface ProcessRow {
  readonly process_name: string;
  readonly correlation_id: string;
  readonly status: ProcessStatus;
  readonly state: unknown;
  readonly state_is_null: boolean;
  readonly handled: string[];
  readonly pending: Message[];
  readonly outbox: Message[];
  readonly created_at: number | string;
  readonly updated_at: number | string;
  readonly version: number;
}

function toInstance(row: ProcessRow): ProcessInstance {
  return {
    processName: row.process_name,
    correlationId: row.correlation_id,
    status: row.status,
    state: fromJsonColumn(row.state, row.state_is_null),
    handled: row.handled,
    pending: row.pending,
    outbox: row.outbox,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    version: row.version,
  };
}

function instanceParams(instance: ProcessInstance, version: number): unknown[] {
  const what = `process ${instance.processName}/${instance.correlationId}`;
  return [
    instance.processName,
    instance.correlationId,
    instance.status,
    toJsonParam(instance.state, `the state of ${what}`),
    toJsonParam(instance.handled, `the inbox of ${what}`),
    toJsonParam(instance.pending, `the pending events of ${what}`),
    toJsonParam(instance.outbox, `the outbox of ${what}`),
    instance.outbox.length > 0,
    instance.createdAt,
    instance.updatedAt,
    version,
  ];
}

/**
 * A durable {@link ProcessStore} on PostgreSQL or PGlite: state, inbox (handled message ids),
 * early events and outbox of each process instance are saved together in one row, guarded by
 * its version. Values go through core's `toStorableJson`, refused and changed exactly as in
 * `InMemoryProcessStore`. Passes `processStoreContract` from `@keel/saga/testing`.
 *
 * @param client A client, or a transaction to make the instance's writes part of it.
 * @throws {ValidationError} at construction when `client` is not a SQL client or `schema` not a string.
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const store = new PostgresProcessStore(client);
 * const manager = new ProcessManager(fulfilment, { store, send: (command) => commandBus.send(command) });
 * ```
 */
export class PostgresProcessStore implements ProcessStore {
  readonly #client: SqlExecutor;
  readonly #table: string;

  constructor(client: SqlExecutor, options?: PostgresProcessStoreOptions) {
    const { schema } = withDefaults(POSTGRES_PROCESS_STORE_DEFAULTS, options);
    assertOptions('PostgresProcessStore', {
      client: optionObject(client, 'a SQL client', ['query'], true),
      schema: optionString(schema),
    });
    this.#client = client;
    this.#table = sqlSchema(schema).table('processes');
  }

  /** The instance for this key, or `undefined`. */
  async load(processName: string, correlationId: string): Promise<ProcessInstance | undefined> {
    const { rows } = await this.#client.query<ProcessRow>(
      `SELECT ${SELECT} FROM ${this.#table} WHERE process_name = $1 AND correlation_id = $2`,
      [processName, correlationId],
    );
    return rows[0] === undefined ? undefined : toInstance(rows[0]);
  }

  /**
   * Inserts (when `expectedVersion` is 0) or replaces the instance at `expectedVersion`.
   * @throws {ConcurrencyError} when the stored version differs.
   */
  async save(instance: ProcessInstance, expectedVersion: number): Promise<ProcessInstance> {
    const params = instanceParams(instance, expectedVersion + 1);
    const { rows } =
      expectedVersion === 0
        ? await this.#client.query<ProcessRow>(
            `INSERT INTO ${this.#table} (process_name, correlation_id, status, state, handled, pending,
               outbox, has_outbox, created_at, updated_at, version)
             VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11)
             ON CONFLICT (process_name, correlation_id) DO NOTHING RETURNING ${SELECT}`,
            params,
          )
        : await this.#client.query<ProcessRow>(
            `UPDATE ${this.#table}
             SET status = $3, state = $4::jsonb, handled = $5::jsonb, pending = $6::jsonb,
                 outbox = $7::jsonb, has_outbox = $8, created_at = $9, updated_at = $10, version = $11
             WHERE process_name = $1 AND correlation_id = $2 AND version = $11 - 1 RETURNING ${SELECT}`,
            params,
          );
    if (rows[0] !== undefined) return toInstance(rows[0]);
    const actual = (await this.load(instance.processName, instance.correlationId))?.version ?? 0;
    const subject = `process ${instance.processName}/${instance.correlationId}`;
    throw new ConcurrencyError({ subject, expected: expectedVersion, actual });
  }

  /** The instances of `processName` with commands left to send, oldest first. */
  async listWithOutbox(processName: string): Promise<ProcessInstance[]> {
    const { rows } = await this.#client.query<ProcessRow>(
      `SELECT ${SELECT} FROM ${this.#table} WHERE process_name = $1 AND has_outbox
       ORDER BY created_at, correlation_id`,
      [processName],
    );
    return rows.map(toInstance);
  }
}
