/** One result row: column name to value. */
export type SqlRow = Record<string, unknown>;

/**
 * The rows a statement returned and how many rows it touched. Values are normalized so both
 * engines give the same JavaScript types: `int8` (bigint) columns as `number` (or `bigint`
 * beyond 2^53), `int4` as `number`, `json`/`jsonb` parsed, `timestamptz` as `Date`,
 * `numeric` as `string`.
 */
export interface SqlResult<TRow extends object = SqlRow> {
  readonly rows: TRow[];
  /** Rows inserted, updated or deleted by a DML statement, or rows returned by a SELECT. */
  readonly rowCount: number;
}

/** Options of {@link SqlExecutor.query} and {@link SqlExecutor.exec}. */
export interface SqlQueryOptions {
  /**
   * Checked before the statement is sent, and on `pg` it also ends a wait for a free pooled
   * connection (the statement is then never sent). A running statement is not interrupted.
   */
  signal?: AbortSignal | undefined;
  /**
   * Prepares the statement once per connection under this name and runs the prepared one from
   * then on (on `pg`; PGlite ignores it), saving the server its parse and plan on every call.
   * Only for a hot statement whose SQL never changes under that name; names that share their
   * first 63 bytes clash. Not with a pooler that cannot keep prepared statements (PgBouncer
   * before 1.21 in transaction mode). Only {@link SqlExecutor.query} reads it.
   */
  name?: string | undefined;
}

/** The isolation level of a transaction. */
export type SqlIsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

/** Options of {@link SqlExecutor.transaction}. */
export interface SqlTransactionOptions {
  /**
   * Checked before the transaction starts (on `pg` it also ends a wait for a free pooled
   * connection) and again before it commits (an abort rolls back).
   */
  signal?: AbortSignal | undefined;
  /** The isolation level. @default 'read committed' (the server's default) */
  isolation?: SqlIsolationLevel | undefined;
}

/** Which engine runs the SQL. */
export type SqlDialect = 'postgres' | 'pglite';

/**
 * What stores need to run SQL: the same statements run on a `pg` pool and on PGlite.
 * Parameters are `$1, $2 …`; pass JSON as a string and cast it (`$1::jsonb`), pass arrays
 * for `$1::text[]`.
 */
export interface SqlExecutor {
  /** The engine behind this client. */
  readonly dialect: SqlDialect;
  /** Whether this executor is inside a transaction (a {@link SqlTransaction}). */
  readonly inTransaction: boolean;
  /**
   * Runs one statement with parameters.
   * @throws {SqlError} when the statement fails (with its SQLSTATE).
   * @throws {ClientClosedError} after `close()` or after the transaction ended.
   */
  query<TRow extends object = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: SqlQueryOptions,
  ): Promise<SqlResult<TRow>>;
  /**
   * Runs a script of one or more statements without parameters (e.g. DDL).
   * @throws {SqlError} when a statement fails.
   */
  exec(script: string, options?: SqlQueryOptions): Promise<void>;
  /**
   * Runs `fn` in a transaction: COMMIT when it resolves, ROLLBACK when it throws (the error is
   * rethrown as is). Inside a transaction, this opens a SAVEPOINT instead, so stores can be
   * called with either a client or a transaction.
   *
   * On PGlite every statement is serialized: inside `fn`, use only `tx`, never the outer
   * client, or the call waits for the transaction forever.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: SqlTransactionOptions): Promise<T>;
}

/** An {@link SqlExecutor} bound to one open transaction (one pooled connection on `pg`). */
export interface SqlTransaction extends SqlExecutor {
  readonly inTransaction: true;
}

/** Receives the payload of a notification, see {@link SqlClient.listen}. */
export type SqlNotificationListener = (payload: string) => void;

/**
 * Stops a listener registered with {@link SqlClient.listen}. It never throws (not even after the
 * connection was lost or the client closed), stops only its own listener, and calling it twice
 * is harmless.
 */
export type SqlUnlisten = () => Promise<void>;

/** Options of {@link SqlClient.listen}. */
export interface SqlListenOptions {
  /** Ends the wait for the LISTEN to be in place; the listener is then not registered. */
  signal?: AbortSignal | undefined;
}

/**
 * A connection to PostgreSQL or PGlite that stores share. Create it with
 * {@link createPostgres}, {@link fromPgPool} or {@link fromPglite}, run {@link migrate}, then
 * hand it to the stores; `close()` it at shutdown.
 */
export interface SqlClient extends SqlExecutor {
  readonly inTransaction: false;
  /**
   * Calls `listener` with the payload of every `NOTIFY channel, 'payload'` (or
   * `SELECT pg_notify('channel', 'payload')`) committed from now on. Use it as a wake-up hint
   * next to polling: a notification sent while no connection listens is lost.
   *
   * On `pg` all the client's channels share one dedicated connection, made with the pool's
   * options (it is not one of the pool's connections, so any pool size works), opened on the
   * first `listen` and closed when nothing listens. When that connection is lost (failover,
   * `pg_terminate_backend`), listeners stay registered: the client connects again with backoff,
   * LISTENs every channel again, and then calls every listener once with an empty payload,
   * since notifications sent meanwhile were lost. A `listen` made meanwhile resolves at once.
   *
   * @param channel A plain lowercase identifier.
   * @returns A function that stops this listener (never throws).
   * @throws {InvalidIdentifierError} when `channel` is not a plain lowercase identifier.
   * @throws {SqlError} when the server cannot be reached or refuses the LISTEN.
   * @throws {ClientClosedError} after `close()`.
   */
  listen(
    channel: string,
    listener: SqlNotificationListener,
    options?: SqlListenOptions,
  ): Promise<SqlUnlisten>;
  /**
   * Stops every listener, closes the listening connection (a borrowed one goes back to its pool
   * as it was found: listeners removed, `UNLISTEN *`), then closes the pool or the PGlite
   * instance if this client owns it; idempotent.
   */
  close(): Promise<void>;
  /** Same as {@link SqlClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
