import {
  assertOptions,
  noopLogger,
  optionBoolean,
  optionClock,
  optionLogger,
  optionNumber,
  optionObject,
  optionRule,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import type { FieldInfo } from '../internal/normalize.js';
import { checkBeforeCommit, isolationStatement } from '../internal/transactions.js';
import { DatabaseUnreachableError } from '../errors.js';
import { pgTarget } from './connectionFailure.js';
import type { DatabaseTarget } from './connectionFailure.js';
import { ClientClosedError } from '../errors.js';
import { dedicatedConnector, pooledConnector } from './listenConnection.js';
import type { ListenConnector, PgClientConstructorLike } from './listenConnection.js';
import { withPooledConnection } from './pgConnection.js';
import type { PgPoolClientLike } from './pgConnection.js';
import { PgNotifications } from './pgNotifications.js';
import { PgTransaction, runScript, runStatement } from './pgTransaction.js';
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

export type { PgConnectionLike, PgPoolClientLike } from './pgConnection.js';
export type { PgClientConstructorLike, PgDedicatedClientLike } from './listenConnection.js';

/** The part of a `pg` query result the client reads. */
export interface PgQueryResultLike {
  rows: SqlRow[];
  rowCount: number | null;
  fields?: readonly FieldInfo[];
}

/** The part of a `pg.Pool` the client uses, so `@types/pg` is not needed to use the types. */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
  /**
   * The pool's client class (`pg.Pool` has one). With {@link PgPoolLike.options} it makes the
   * dedicated connection `listen` runs on, so LISTEN never holds one of the pool's connections.
   */
  readonly Client?: PgClientConstructorLike;
  /** The pool's connection options (`pg.Pool` has them), given to {@link PgPoolLike.Client}. */
  readonly options?: object;
}

/** Options of {@link fromPgPool}. */
export interface FromPgPoolOptions {
  /** Whether `close()` ends the pool. @default true */
  ownsPool?: boolean | undefined;
  /** Times the waits between attempts to listen again after the connection was lost. @default systemClock */
  clock?: Clock | undefined;
  /** Told when the LISTEN connection is lost and back, and when a notification listener throws. @default noopLogger */
  logger?: Logger | undefined;
  /**
   * How long to wait before the first attempt to listen again after the LISTEN connection was
   * lost; each failed attempt doubles the wait, up to `maxReconnectDelayMs`. @default 250
   */
  reconnectDelayMs?: number | undefined;
  /** The longest wait between two attempts to listen again. @default 10000 */
  maxReconnectDelayMs?: number | undefined;
}

/** The defaults of {@link FromPgPoolOptions}. */
export const FROM_PG_POOL_DEFAULTS = Object.freeze({
  ownsPool: true,
  reconnectDelayMs: 250,
  maxReconnectDelayMs: 10_000,
});

const SETTINGS_DEFAULTS = Object.freeze({ ...FROM_PG_POOL_DEFAULTS, clock: systemClock, logger: noopLogger });

type Settings = ReturnType<typeof settingsOf>;

function settingsOf(pool: PgPoolLike, options: FromPgPoolOptions | undefined) {
  const settings = withDefaults(SETTINGS_DEFAULTS, options);
  assertOptions('fromPgPool', {
    pool: optionObject(pool, 'a pg Pool', ['connect', 'end'], true),
    ownsPool: optionBoolean(settings.ownsPool),
    clock: optionClock(settings.clock, ['sleep']),
    logger: optionLogger(settings.logger, { uses: ['debug', 'info', 'warn', 'error'] }),
    reconnectDelayMs: optionNumber(settings.reconnectDelayMs, { min: 0, exclusiveMin: true }),
    maxReconnectDelayMs:
      optionNumber(settings.maxReconnectDelayMs, { min: 0, exclusiveMin: true }) ??
      optionRule(
        !(settings.maxReconnectDelayMs < settings.reconnectDelayMs),
        `must be >= reconnectDelayMs (got ${settings.maxReconnectDelayMs} < ${settings.reconnectDelayMs}).`,
      ),
  });
  return settings;
}

/**
 * Where `listen` gets its connection: a dedicated client made like the pool's own when the pool
 * shows its `Client` class and options (any `pg.Pool`), else one connection borrowed from it.
 */
function listenConnectorOf(pool: PgPoolLike, connect: () => Promise<PgPoolClientLike>): ListenConnector {
  const { Client, options } = pool as { Client?: unknown; options?: unknown };
  if (typeof Client === 'function' && typeof options === 'object' && options !== null)
    return dedicatedConnector(Client as PgClientConstructorLike, options, pgTarget(options));
  return pooledConnector(connect);
}

class PgPoolClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  readonly inTransaction = false as const;
  readonly #pool: PgPoolLike;
  readonly #ownsPool: boolean;
  readonly #notifications: PgNotifications;
  readonly #target: DatabaseTarget;
  #closed = false;

  constructor(pool: PgPoolLike, settings: Settings) {
    this.#pool = pool;
    this.#ownsPool = settings.ownsPool;
    this.#target = pgTarget(pool.options);
    this.#notifications = new PgNotifications(listenConnectorOf(pool, this.#connect), settings);
  }

  async listen(
    channel: string,
    listener: SqlNotificationListener,
    options?: SqlListenOptions,
  ): Promise<SqlUnlisten> {
    if (this.#closed) throw new ClientClosedError('client');
    return this.#notifications.listen(channel, listener, options);
  }

  async query<TRow extends object = SqlRow>(
    sql: string,
    params?: readonly unknown[],
    options?: SqlQueryOptions,
  ): Promise<SqlResult<TRow>> {
    this.#check(options?.signal);
    return withPooledConnection(this.#connect, options?.signal, (connection) =>
      runStatement<TRow>(connection, sql, params, options?.name),
    );
  }

  async exec(script: string, options?: SqlQueryOptions): Promise<void> {
    this.#check(options?.signal);
    await withPooledConnection(this.#connect, options?.signal, (connection) => runScript(connection, script));
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options?: SqlTransactionOptions): Promise<T> {
    this.#check(options?.signal);
    return withPooledConnection(this.#connect, options?.signal, async (connection, markBroken) => {
      const tx = new PgTransaction(connection);
      try {
        await tx.query('BEGIN');
        const isolation = isolationStatement(options?.isolation);
        if (isolation !== undefined) await tx.query(isolation);
        const result = await fn(tx);
        checkBeforeCommit(options);
        await tx.query('COMMIT');
        return result;
      } catch (error) {
        // A connection whose ROLLBACK fails is in an unknown state: destroy it rather than reuse it.
        await tx.query('ROLLBACK').catch(markBroken);
        throw error;
      } finally {
        tx.end();
      }
    });
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

  readonly #connect = (): Promise<PgPoolClientLike> =>
    this.#pool.connect().catch((error: unknown) => {
      throw new DatabaseUnreachableError(error, this.#target);
    });

  #check(signal: AbortSignal | undefined): void {
    throwIfAborted(signal);
    if (this.#closed) throw new ClientClosedError('client');
  }
}

/**
 * Wraps a `pg` pool as a {@link SqlClient} for a real PostgreSQL server. Each statement and
 * each transaction holds one pooled connection; an abort ends a wait for a free connection.
 * `listen` runs on one dedicated connection made with the pool's options (one more than the
 * pool's `max`; a pool without a `Client` class lends one of its connections instead), and
 * listens again, with backoff, after that connection is lost.
 *
 * @param pool A `pg.Pool` (or anything with its `connect` and `end`).
 * @throws {ValidationError} when `pool` or an option is not valid.
 * Statements reject with a {@link DatabaseUnreachableError} when no connection can be made
 * (naming the host, port, database and user, never the password), else with an {@link SqlError}.
 * @example
 * ```ts
 * import pg from 'pg';
 * const client = fromPgPool(new pg.Pool({ connectionString: process.env.KEEL_PG_URL }));
 * await migrate(client);
 * ```
 */
export function fromPgPool(pool: PgPoolLike, options?: FromPgPoolOptions): SqlClient {
  return new PgPoolClient(pool, settingsOf(pool, options));
}
