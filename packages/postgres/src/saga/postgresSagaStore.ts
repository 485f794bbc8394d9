import {
  assertOptions,
  ConcurrencyError,
  NotFoundError,
  optionObject,
  optionString,
  withDefaults,
} from '@keel/core';
import { assertLeaseTimes } from '@keel/saga';
import type {
  SagaClaimRequest,
  SagaCreateResult,
  SagaQuery,
  SagaRecord,
  SagaStatus,
  SagaStore,
} from '@keel/saga';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toJsonParam } from '../internal/json.js';
import { SAGA_COLUMNS, SAGA_SELECT, sagaParams, toSagaRecord } from './sagaRows.js';
import type { SagaRow } from './sagaRows.js';

/** Options of {@link PostgresSagaStore}. */
export interface PostgresSagaStoreOptions {
  /** The schema that holds the `sagas` table (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
}

/** The defaults of {@link PostgresSagaStoreOptions}. */
export const POSTGRES_SAGA_STORE_DEFAULTS = Object.freeze({ schema: 'keel' });

/** A LIMIT parameter: a whole number >= 0, or NULL (no limit) for Infinity. */
function limitParam(limit: number): number | null {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : null;
}

const UNFINISHED = `status IN ('running', 'compensating')`;
const LEASE_FREE = '(lease_until IS NULL OR lease_until <= $3)';

/**
 * A durable {@link SagaStore} on PostgreSQL or PGlite. Every write is one statement guarded by
 * the record's version; leases are columns, and `claimUnfinished` leases the oldest free sagas
 * with `FOR UPDATE SKIP LOCKED`, so several orchestrators recover in parallel without running
 * a saga twice. Passes `sagaStoreContract` from `@keel/saga/testing`.
 *
 * Values are stored through core's `toStorableJson`: NUL characters, lone surrogates, BigInt
 * and the like are refused with a `SerializationError` before anything is written, and a `Date`
 * comes back as its ISO string, exactly as `InMemorySagaStore` does.
 *
 * @param client A client, or a transaction to make the saga's writes part of it.
 * @throws {ValidationError} at construction when `client` is not a SQL client or `schema` not a string.
 * @throws {InvalidIdentifierError} at construction when `schema` is not a plain lowercase identifier.
 * @example
 * ```ts
 * const client = await createPostgres({ url: process.env.KEEL_PG_URL });
 * await migrate(client);
 * const orchestrator = new SagaOrchestrator(new PostgresSagaStore(client), [orderSaga]);
 * ```
 */
export class PostgresSagaStore implements SagaStore {
  readonly #client: SqlExecutor;
  readonly #table: string;

  constructor(client: SqlExecutor, options?: PostgresSagaStoreOptions) {
    const { schema } = withDefaults(POSTGRES_SAGA_STORE_DEFAULTS, options);
    assertOptions('PostgresSagaStore', {
      client: optionObject(client, 'a SQL client', ['query'], true),
      schema: optionString(schema),
    });
    this.#client = client;
    this.#table = sqlSchema(schema).table('sagas');
  }

  /** Inserts `record` at version 1 unless the id exists; see {@link SagaStore.create}. */
  async create(record: SagaRecord): Promise<SagaCreateResult> {
    if (record.lease !== undefined)
      assertLeaseTimes(`lease of saga "${record.sagaId}"`, { until: record.lease.until });
    const { rows } = await this.#client.query<SagaRow>(
      `INSERT INTO ${this.#table} (${SAGA_COLUMNS})
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (saga_id) DO NOTHING RETURNING ${SAGA_SELECT}`,
      sagaParams(record, 1),
    );
    if (rows[0] !== undefined) return { created: true, record: toSagaRecord(rows[0]) };
    const existing = await this.get(record.sagaId);
    if (existing === undefined) throw new NotFoundError('Saga', record.sagaId);
    return { created: false, record: existing };
  }

  /** The saga with this id, or `undefined`. */
  async get(sagaId: string): Promise<SagaRecord | undefined> {
    const { rows } = await this.#client.query<SagaRow>(
      `SELECT ${SAGA_SELECT} FROM ${this.#table} WHERE saga_id = $1`,
      [sagaId],
    );
    return rows[0] === undefined ? undefined : toSagaRecord(rows[0]);
  }

  /**
   * Replaces the saga's state if it is at `expectedVersion`; see {@link SagaStore.save}.
   * @throws {ConcurrencyError} when the stored version differs.
   * @throws {NotFoundError} when there is no such saga.
   */
  async save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    const { rows } = await this.#client.query<SagaRow>(
      `UPDATE ${this.#table}
       SET status = $3, input = $4::jsonb, history = $5::jsonb, error = $6::jsonb,
           updated_at = $7, deadline_at = $8, version = version + 1
       WHERE saga_id = $1 AND version = $2 RETURNING ${SAGA_SELECT}`,
      [
        record.sagaId,
        expectedVersion,
        record.status,
        toJsonParam(record.input, `the input of saga "${record.sagaId}"`),
        toJsonParam(record.history, `the history of saga "${record.sagaId}"`),
        toJsonParam(record.error, `the error of saga "${record.sagaId}"`),
        record.updatedAt,
        record.deadlineAt ?? null,
      ],
    );
    if (rows[0] !== undefined) return toSagaRecord(rows[0]);
    const current = await this.get(record.sagaId);
    if (current === undefined) throw new NotFoundError('Saga', record.sagaId);
    throw new ConcurrencyError({
      subject: `saga ${record.sagaId}`,
      expected: expectedVersion,
      actual: current.version,
    });
  }

  /** Leases an unfinished saga whose lease is free or expired; see {@link SagaStore.tryAcquireLease}. */
  async tryAcquireLease(
    sagaId: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<SagaRecord | undefined> {
    assertLeaseTimes(`lease of saga "${sagaId}"`, { until, now });
    const { rows } = await this.#client.query<SagaRow>(
      `UPDATE ${this.#table}
       SET lease_owner = $4, lease_until = $2, version = version + 1
       WHERE saga_id = $1 AND ${UNFINISHED} AND ${LEASE_FREE} RETURNING ${SAGA_SELECT}`,
      [sagaId, until, now, owner],
    );
    return rows[0] === undefined ? undefined : toSagaRecord(rows[0]);
  }

  /** Extends `owner`'s lease; see {@link SagaStore.renewLease}. */
  async renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    assertLeaseTimes(`lease of saga "${sagaId}"`, { until });
    const { rowCount } = await this.#client.query(
      `UPDATE ${this.#table} SET lease_until = $3 WHERE saga_id = $1 AND lease_owner = $2`,
      [sagaId, owner, until],
    );
    return rowCount > 0;
  }

  /** Drops `owner`'s lease; see {@link SagaStore.releaseLease}. */
  async releaseLease(sagaId: string, owner: string): Promise<void> {
    await this.#client.query(
      `UPDATE ${this.#table} SET lease_owner = NULL, lease_until = NULL WHERE saga_id = $1 AND lease_owner = $2`,
      [sagaId, owner],
    );
  }

  /**
   * Leases up to `limit` free unfinished sagas, oldest first and after `request.after` when
   * given, skipping rows others are claiming; returns them in that order.
   */
  async claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]> {
    assertLeaseTimes('claim of unfinished sagas', { until: request.until, now: request.now });
    if (request.limit <= 0 || request.sagaNames?.length === 0) return [];
    const params: unknown[] = [request.owner, request.until, request.now, limitParam(request.limit)];
    const conditions = [UNFINISHED, LEASE_FREE];
    if (request.sagaNames !== undefined) {
      params.push([...request.sagaNames]);
      conditions.push(`saga_name = ANY($${params.length}::text[])`);
    }
    if (request.after !== undefined) {
      params.push(request.after.createdAt, request.after.sagaId);
      conditions.push(
        `(created_at, saga_id) > ($${params.length - 1}::bigint, $${params.length}::text COLLATE "C")`,
      );
    }
    const { rows } = await this.#client.query<SagaRow>(
      `WITH claimed AS (
         UPDATE ${this.#table} AS s
         SET lease_owner = $1, lease_until = $2, version = s.version + 1
         FROM (SELECT saga_id FROM ${this.#table}
               WHERE ${conditions.join(' AND ')}
               ORDER BY created_at, saga_id LIMIT $4
               FOR UPDATE SKIP LOCKED) AS free
         WHERE s.saga_id = free.saga_id RETURNING s.*, s.input IS NULL AS input_is_null)
       SELECT * FROM claimed ORDER BY created_at, saga_id`,
      params,
    );
    return rows.map(toSagaRecord);
  }

  /** Sagas matching `query`, oldest first. */
  async list(query: SagaQuery = {}): Promise<SagaRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.status !== undefined) {
      const statuses: readonly SagaStatus[] =
        typeof query.status === 'string' ? [query.status] : query.status;
      params.push([...statuses]);
      conditions.push(`status = ANY($${params.length}::text[])`);
    }
    if (query.sagaName !== undefined) {
      params.push(query.sagaName);
      conditions.push(`saga_name = $${params.length}`);
    }
    let sql = `SELECT ${SAGA_SELECT} FROM ${this.#table}`;
    if (conditions.length > 0) sql += ` WHERE ${conditions.join(' AND ')}`;
    sql += ' ORDER BY created_at, saga_id';
    if (query.limit !== undefined) {
      params.push(limitParam(query.limit));
      sql += ` LIMIT $${params.length}`;
    }
    const { rows } = await this.#client.query<SagaRow>(sql, params);
    return rows.map(toSagaRecord);
  }
}
