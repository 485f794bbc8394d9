import { abortReason, throwIfAborted } from '@keel/core';
import { checkBeforeCommit, isolationStatement, withSavepoint } from '../internal/transactions.js';
import { ClientClosedError, SqlError } from '../errors.js';
import { quoteIdentifier } from './identifiers.js';
import type {
  SqlClient,
  SqlListenOptions,
  SqlNotificationListener,
  SqlQueryOptions,
  SqlResult,
  SqlRow,
  SqlTransaction,
  SqlTransactionOptions,
  SqlUnlisten,
} from './sqlClient.js';

/** The part of a PGlite result the client reads. */
export interface PgliteResultLike {
  rows: SqlRow[];
  affectedRows?: number;
  rowCount?: number;
}

/** The part of a PGlite transaction the client uses. */
export interface PgliteTransactionLike {
  query(sql: string, params?: any[]): Promise<PgliteResultLike>;
  exec(sql: string): Promise<unknown>;
}

/** The part of a `PGlite` instance the client uses, so the types need no PGlite import. */
export interface PgliteLike extends PgliteTransactionLike {
  transaction<T>(fn: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Options of {@link fromPglite}. */
export interface FromPgliteOptions {
  /** Whether `close()` closes the PGlite instance. @default true */
  ownsDatabase?: boolean;
}

async function run<TRow extends object>(
  runner: PgliteTransactionLike,
  sql: string,
  params: readonly unknown[] | undefined,
): Promise<SqlResult<TRow>> {
  try {
    const result = await runner.query(sql, params === undefined ? undefined : [...params]);
    const rows = result.rows as TRow[];
    return { rows, rowCount: result.rowCount ?? result.affectedRows ?? rows.length };
  } catch (error) {
    throw new SqlError(error, sql);
  }
}

async function runScript(runner: PgliteTransactionLike, script: string): Promise<void> {
  try {
    await runner.exec(script);
  } catch (error) {
    throw new SqlError(error, script);
  }
}

class PgliteTransaction implements SqlTransaction {
  readonly dialect = 'pglite' as const;
  readonly inTransaction = true as const;
  readonly #tx: PgliteTransactionLike;
  #open = true;

  constructor(tx: PgliteTransactionLike) {
    this.#tx = tx;
  }

  end(): void {
    this.#open = false;
  }

  async query<TRow extends object = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: SqlQueryOptions,
  ): Promise<SqlResult<TRow>> {
    this.#check(options);
    return run<TRow>(this.#tx, sql, params);
  }

  async exec(script: string, options?: SqlQueryOptions): Promise<void> {
    this.#check(options);
    await runScript(this.#tx, script);
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: SqlTransactionOptions): Promise<T> {
    return withSavepoint(this, fn, options);
  }

  #check(options: SqlQueryOptions | undefined): void {
    throwIfAborted(options?.signal);
    if (!this.#open) throw new ClientClosedError('transaction');
  }
}

class PgliteClient implements SqlClient {
  readonly dialect = 'pglite' as const;
  readonly inTransaction = false as const;
  readonly #db: PgliteLike;
  readonly #ownsDatabase: boolean;
  #closed = false;

  constructor(db: PgliteLike, ownsDatabase: boolean) {
    this.#db = db;
    this.#ownsDatabase = ownsDatabase;
  }

  async query<TRow extends object = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: SqlQueryOptions,
  ): Promise<SqlResult<TRow>> {
    this.#check(options);
    return run<TRow>(this.#db, sql, params);
  }

  async exec(script: string, options?: SqlQueryOptions): Promise<void> {
    this.#check(options);
    await runScript(this.#db, script);
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: SqlTransactionOptions): Promise<T> {
    this.#check(options);
    return this.#db.transaction(async (raw) => {
      const tx = new PgliteTransaction(raw);
      try {
        const isolation = isolationStatement(options?.isolation);
        if (isolation !== undefined) await tx.query(isolation);
        const result = await fn(tx);
        checkBeforeCommit(options);
        return result;
      } finally {
        tx.end();
      }
    });
  }

  async listen(
    channel: string,
    listener: SqlNotificationListener,
    options?: SqlListenOptions,
  ): Promise<SqlUnlisten> {
    this.#check(options);
    const quoted = quoteIdentifier(channel, 'channel name');
    // A callback of its own, so the same function listened twice is two listeners, stopped apart.
    const callback = (payload: string): void => {
      try {
        listener(payload);
      } catch {
        // One throwing listener must not stop PGlite from calling the others.
      }
    };
    let unlisten: () => Promise<void>;
    try {
      unlisten = await this.#db.listen(channel, callback);
    } catch (error) {
      throw new SqlError(error, `LISTEN ${quoted}`);
    }
    let listening = true;
    if (options?.signal?.aborted === true) {
      await unlisten().catch(() => undefined);
      throw abortReason(options.signal);
    }
    return async () => {
      if (!listening || this.#closed) return;
      listening = false;
      await unlisten().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDatabase) await this.#db.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #check(options: SqlQueryOptions | undefined): void {
    throwIfAborted(options?.signal);
    if (this.#closed) throw new ClientClosedError('client');
  }
}

/**
 * Wraps an embedded PGlite database as a {@link SqlClient}: PostgreSQL in the process, in
 * memory or persisted to a directory. Statements run one at a time; a transaction holds the
 * database until it ends.
 *
 * @param db A `PGlite` instance.
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * const client = fromPglite(await PGlite.create('./.data/keel'));
 * await migrate(client);
 * ```
 */
export function fromPglite(db: PgliteLike, options: FromPgliteOptions = {}): SqlClient {
  return new PgliteClient(db, options.ownsDatabase ?? true);
}
