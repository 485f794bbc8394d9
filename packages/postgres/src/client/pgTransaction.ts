import { Mutex, throwIfAborted } from '@keel/core';
import { normalizeInt8Columns } from '../internal/normalize.js';
import { withSavepoint } from '../internal/transactions.js';
import { ClientClosedError, SqlError } from '../errors.js';
import type { PgQueryResultLike } from './pgPoolClient.js';
import type {
  SqlQueryOptions,
  SqlResult,
  SqlRow,
  SqlTransaction,
  SqlTransactionOptions,
} from './sqlClient.js';

/** Anything that runs a `pg` statement: a connection or a pool. */
export type PgRunner = { query(sql: string, params?: unknown[]): Promise<PgQueryResultLike> };

/** What a `pg` connection (or pool) also accepts: a statement prepared under `name`. */
interface PgNamedRunner {
  query(config: { name: string; text: string; values: unknown[] | undefined }): Promise<PgQueryResultLike>;
}

/**
 * Runs one statement and normalizes its rows; a failure becomes an {@link SqlError}. With a
 * `name`, the statement is prepared under it once per connection (pg's `{ name, text, values }`).
 */
export async function runStatement<TRow extends object>(
  runner: PgRunner,
  sql: string,
  params: readonly unknown[] | undefined,
  name?: string,
): Promise<SqlResult<TRow>> {
  let result: PgQueryResultLike;
  const values = params === undefined ? undefined : [...params];
  try {
    result =
      name === undefined
        ? await runner.query(sql, values)
        : await (runner as unknown as PgNamedRunner).query({ name, text: sql, values });
  } catch (error) {
    throw new SqlError(error, sql);
  }
  const rows = normalizeInt8Columns(result.rows, result.fields) as TRow[];
  return { rows, rowCount: result.rowCount ?? rows.length };
}

/** Runs a multi-statement script (simple protocol: no parameters); pg returns one result per statement. */
export async function runScript(runner: PgRunner, script: string): Promise<void> {
  try {
    await runner.query(script);
  } catch (error) {
    throw new SqlError(error, script);
  }
}

/** An open transaction on one pooled connection, from BEGIN to COMMIT/ROLLBACK. */
export class PgTransaction implements SqlTransaction {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = true as const;
  readonly #connection: PgRunner;
  #open = true;
  /** A pg connection runs one statement at a time; concurrent callers queue here (pg@9 requires it). */
  readonly #serialized = new Mutex();

  constructor(connection: PgRunner) {
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
    return this.#serial(() => runStatement<TRow>(this.#connection, sql, params, options?.name));
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
    return this.#serialized.run(call);
  }
}
