import { throwIfAborted } from '@keel/core';
import { normalizeInt8Columns } from '../internal/normalize.js';
import type { FieldInfo } from '../internal/normalize.js';
import { checkBeforeCommit, isolationStatement, withSavepoint } from '../internal/transactions.js';
import { ClientClosedError, SqlError } from './errors.js';
import { PgNotifications } from './pgNotifications.js';
import type { PgNotificationLike } from './pgNotifications.js';
import type {
  SqlClient,
  SqlNotificationListener,
  SqlQueryOptions,
  SqlResult,
  SqlRow,
  SqlTransaction,
  SqlTransactionOptions,
  SqlUnlisten,
} from './sqlClient.js';

/** The part of a `pg` query result the client reads. */
export interface PgQueryResultLike {
  rows: SqlRow[];
  rowCount: number | null;
  fields?: readonly FieldInfo[];
}

/** The part of a pooled `pg` connection the client uses (a `pg.PoolClient` fits). */
export interface PgPoolClientLike {
  query(sql: string, params?: unknown[]): Promise<PgQueryResultLike>;
  release(error?: Error | boolean): void;
  on(event: 'notification', listener: (message: PgNotificationLike) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a `pg.Pool` the client uses, so `@types/pg` is not needed to use the types. */
export interface PgPoolLike {
  query(sql: string, params?: unknown[]): Promise<PgQueryResultLike>;
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
}

/** Options of {@link fromPgPool}. */
export interface FromPgPoolOptions {
  /** Whether `close()` ends the pool. @default true */
  ownsPool?: boolean;
}

type Runner = { query(sql: string, params?: unknown[]): Promise<PgQueryResultLike> };

async function run<TRow extends object>(
  runner: Runner,
  sql: string,
  params: readonly unknown[] | undefined,
): Promise<SqlResult<TRow>> {
  let result: PgQueryResultLike;
  try {
    result = await runner.query(sql, params === undefined ? undefined : [...params]);
  } catch (error) {
    throw new SqlError(error, sql);
  }
  const rows = normalizeInt8Columns(result.rows, result.fields) as TRow[];
  return { rows, rowCount: result.rowCount ?? rows.length };
}

/** Runs a multi-statement script (simple protocol: no parameters); pg returns one result per statement. */
async function runScript(runner: Runner, script: string): Promise<void> {
  try {
    await runner.query(script);
  } catch (error) {
    throw new SqlError(error, script);
  }
}

class PgTransaction implements SqlTransaction {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = true as const;
  readonly #connection: PgPoolClientLike;
  #open = true;
  /** A pg connection runs one statement at a time; concurrent callers queue here (pg@9 requires it). */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(connection: PgPoolClientLike) {
    this.#connection = connection;
  }

  end(): void {
    this.#open = false;
  }

  async query<TRow extends object = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: SqlQueryOptions,
  ): Promise<SqlResult<TRow>> {
    throwIfAborted(options?.signal);
    if (!this.#open) throw new ClientClosedError('transaction');
    return this.#serial(() => run<TRow>(this.#connection, sql, params));
  }

  async exec(script: string, options?: SqlQueryOptions): Promise<void> {
    throwIfAborted(options?.signal);
    if (!this.#open) throw new ClientClosedError('transaction');
    await this.#serial(() => runScript(this.#connection, script));
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: SqlTransactionOptions): Promise<T> {
    return withSavepoint(this, fn, options);
  }

  #serial<T>(call: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(call, call);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

class PgPoolClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = false as const;
  readonly #pool: PgPoolLike;
  readonly #ownsPool: boolean;
  readonly #notifications: PgNotifications;
  #closed = false;

  constructor(pool: PgPoolLike, ownsPool: boolean) {
    this.#pool = pool;
    this.#ownsPool = ownsPool;
    this.#notifications = new PgNotifications(() => pool.connect());
  }

  async listen(channel: string, listener: SqlNotificationListener): Promise<SqlUnlisten> {
    if (this.#closed) throw new ClientClosedError('client');
    return this.#notifications.listen(channel, listener);
  }

  async query<TRow extends object = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: SqlQueryOptions,
  ): Promise<SqlResult<TRow>> {
    throwIfAborted(options?.signal);
    if (this.#closed) throw new ClientClosedError('client');
    return run<TRow>(this.#pool, sql, params);
  }

  async exec(script: string, options?: SqlQueryOptions): Promise<void> {
    throwIfAborted(options?.signal);
    if (this.#closed) throw new ClientClosedError('client');
    await runScript(this.#pool, script);
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: SqlTransactionOptions): Promise<T> {
    throwIfAborted(options?.signal);
    if (this.#closed) throw new ClientClosedError('client');
    const connection = await this.#connect();
    const tx = new PgTransaction(connection);
    let broken: Error | undefined;
    try {
      await tx.query('BEGIN');
      const isolation = isolationStatement(options?.isolation);
      if (isolation !== undefined) await tx.query(isolation);
      const result = await fn(tx);
      checkBeforeCommit(options);
      await tx.query('COMMIT');
      return result;
    } catch (error) {
      broken = await rollback(connection);
      throw error;
    } finally {
      tx.end();
      connection.release(broken ?? false);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#notifications.close();
    if (this.#ownsPool) await this.#pool.end();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #connect(): Promise<PgPoolClientLike> {
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw new SqlError(error, 'connect');
    }
  }
}

/** Rolls back; returns the error when the connection is broken and must be discarded. */
async function rollback(connection: PgPoolClientLike): Promise<Error | undefined> {
  try {
    await connection.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Wraps a `pg` pool as a {@link SqlClient} for a real PostgreSQL server. Each transaction
 * holds one pooled connection from BEGIN to COMMIT/ROLLBACK.
 *
 * @param pool A `pg.Pool` (or anything with its `query`, `connect` and `end`).
 * @example
 * ```ts
 * import pg from 'pg';
 * const client = fromPgPool(new pg.Pool({ connectionString: process.env.KEEL_PG_URL }));
 * await migrate(client);
 * ```
 */
export function fromPgPool(pool: PgPoolLike, options: FromPgPoolOptions = {}): SqlClient {
  return new PgPoolClient(pool, options.ownsPool ?? true);
}
