import { isKeelError, KeelError, SERIALIZATION_ERROR_CODE } from '@keel/core';
export { SerializationError, isSerializationError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';
import { driverFacts, whatToCheck } from './client/connectionFailure.js';
import type { DatabaseTarget } from './client/connectionFailure.js';

/** The stable code of {@link DatabaseUnreachableError}. */
export const DATABASE_UNREACHABLE_CODE = 'POSTGRES_UNREACHABLE';
/** The stable code of {@link PositionOutOfRangeError}. */
export const POSITION_OUT_OF_RANGE_CODE = 'POSTGRES_POSITION_OUT_OF_RANGE';
/** The stable code of {@link LeaseLostError}. */
export const LEASE_LOST_CODE = 'POSTGRES_LEASE_LOST';
/** The stable code of {@link ReplicaLagError}. */
export const REPLICA_LAG_CODE = 'POSTGRES_REPLICA_LAG';

/** Stable codes of the errors `@keel/postgres` throws. */
export const POSTGRES_ERROR_CODES = Object.freeze({
  query: 'POSTGRES_QUERY_FAILED',
  invalidIdentifier: 'POSTGRES_INVALID_IDENTIFIER',
  clientClosed: 'POSTGRES_CLIENT_CLOSED',
  /** The code of core's `SerializationError`, shared by every store. */
  serialization: SERIALIZATION_ERROR_CODE,
  migration: 'POSTGRES_MIGRATION_FAILED',
  missingDriver: 'POSTGRES_MISSING_DRIVER',
  /** The code of {@link DatabaseUnreachableError}: no connection could be made. */
  unreachable: DATABASE_UNREACHABLE_CODE,
} as const);

/** SQLSTATE codes the stores react to. */
export const SQL_STATES = Object.freeze({
  uniqueViolation: '23505',
  undefinedTable: '42P01',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const);

function hintFor(sqlState: string | undefined): string {
  if (sqlState === SQL_STATES.undefinedTable)
    return ' The table does not exist: run migrate(client, { schema }) once before using the stores.';
  if (sqlState === SQL_STATES.serializationFailure || sqlState === SQL_STATES.deadlockDetected)
    return ' The transaction conflicted with another one; retry it.';
  if (sqlState === '57P01' || sqlState === '57P02')
    return (
      ' The server ended the session (a shutdown, a restart or a terminated backend); the pool connects' +
      ' again once it is back. The statement may or may not have committed: retry it only if it is' +
      ' idempotent (an append with the same event ids is).'
    );
  if (sqlState === '57P03')
    return ' The server is starting up or shutting down; retry once it accepts connections.';
  if (sqlState === '25006')
    return ' The server is read-only (e.g. a replica in recovery): send writes, locks and LISTEN to the primary.';
  return '';
}

/**
 * A statement failed in PostgreSQL or PGlite. `sqlState` is the SQLSTATE code (e.g. `23505`
 * for a unique violation) and `cause` the driver's error.
 *
 * @example
 * ```ts
 * try { await client.query('SELECT * FROM missing'); } catch (error) { if (isSqlError(error)) console.log(error.sqlState); }
 * ```
 */
export class SqlError extends KeelError {
  /** The SQLSTATE code reported by the server, when there is one. */
  readonly sqlState: string | undefined;
  /** The violated constraint, when the server names one. */
  readonly constraint: string | undefined;

  constructor(cause: unknown, sql: string) {
    const driver = (typeof cause === 'object' && cause !== null ? cause : {}) as {
      code?: unknown;
      message?: unknown;
      constraint?: unknown;
    };
    const sqlState = typeof driver.code === 'string' ? driver.code : undefined;
    const constraint = typeof driver.constraint === 'string' ? driver.constraint : undefined;
    const reason = typeof driver.message === 'string' ? driver.message : String(cause);
    const statement = sql.length > 200 ? `${sql.slice(0, 200)}…` : sql;
    super(
      POSTGRES_ERROR_CODES.query,
      `SQL statement failed${sqlState === undefined ? '' : ` (SQLSTATE ${sqlState})`}: ${reason}.${hintFor(sqlState)} Statement: ${statement.replace(/\s+/g, ' ').trim()}`,
      { cause, details: { sqlState, constraint } },
    );
    this.sqlState = sqlState;
    this.constraint = constraint;
  }
}

/** A schema or table name is not a plain lowercase SQL identifier. */
export class InvalidIdentifierError extends KeelError {
  constructor(kind: string, value: unknown) {
    super(
      POSTGRES_ERROR_CODES.invalidIdentifier,
      `Invalid ${kind} ${JSON.stringify(value)}: use 1 to 63 characters of lowercase letters, digits and _ , starting with a letter or _.`,
      { details: { kind, value } },
    );
  }
}

/** A client (or transaction) was used after it was closed (or after the transaction ended). */
export class ClientClosedError extends KeelError {
  constructor(what: 'client' | 'transaction') {
    super(
      POSTGRES_ERROR_CODES.clientClosed,
      what === 'client'
        ? 'The SQL client is closed; create a new one.'
        : 'The transaction has ended; run the query inside the transaction callback, or use the client.',
      { details: { what } },
    );
  }
}

/** A migration step failed; nothing of the failed `migrate()` call was applied. */
export class MigrationError extends KeelError {
  /** The version of the failed step. */
  readonly version: number;

  constructor(version: number, name: string, schema: string, options: KeelErrorOptions = {}) {
    super(
      POSTGRES_ERROR_CODES.migration,
      `Migration ${version} "${name}" failed in schema "${schema}"; the whole migrate() was rolled back. Fix the cause and run migrate() again.`,
      { ...options, details: { ...options.details, version, name, schema } },
    );
    this.version = version;
  }
}

/** The optional peer dependency a factory needs (`pg` or `@electric-sql/pglite`) is not installed. */
export class MissingDriverError extends KeelError {
  constructor(driver: string, cause: unknown) {
    super(
      POSTGRES_ERROR_CODES.missingDriver,
      `The "${driver}" package is not installed; run npm install ${driver}.`,
      { cause, details: { driver } },
    );
  }
}

/** Whether `value` is a {@link SqlError} (optionally with this SQLSTATE), from any loaded copy. */
export function isSqlError(value: unknown, sqlState?: string): value is SqlError {
  if (!isKeelError(value, POSTGRES_ERROR_CODES.query)) return false;
  return sqlState === undefined || (value as SqlError).sqlState === sqlState;
}

/** Whether `value` is an {@link InvalidIdentifierError}. */
export function isInvalidIdentifierError(value: unknown): value is InvalidIdentifierError {
  return isKeelError(value, POSTGRES_ERROR_CODES.invalidIdentifier);
}

/** Whether `value` is a {@link ClientClosedError}. */
export function isClientClosedError(value: unknown): value is ClientClosedError {
  return isKeelError(value, POSTGRES_ERROR_CODES.clientClosed);
}

/** Whether `value` is a {@link MigrationError}. */
export function isMigrationError(value: unknown): value is MigrationError {
  return isKeelError(value, POSTGRES_ERROR_CODES.migration);
}

/** Whether `value` is a {@link MissingDriverError}. */
export function isMissingDriverError(value: unknown): value is MissingDriverError {
  return isKeelError(value, POSTGRES_ERROR_CODES.missingDriver);
}

/**
 * The database could not be reached: the PostgreSQL server refused or never answered the
 * connection (or refused the login), or the embedded PGlite database could not be opened.
 * `where` names the target (host, port, database and user for PostgreSQL, the directory for
 * PGlite), never a password; the message says what to check, and `cause` is the driver's error.
 *
 * @example
 * ```ts
 * try { await client.query('SELECT 1'); } catch (error) { if (isDatabaseUnreachableError(error)) console.error(error.where); }
 * ```
 */
export class DatabaseUnreachableError extends KeelError {
  /** Where the database was expected, e.g. `127.0.0.1:5432 (database "test", user "postgres")`. */
  readonly where: string;
  /** The driver's error code (`ECONNREFUSED`, or a SQLSTATE such as `28P01`), when there is one. */
  readonly driverCode: string | undefined;

  constructor(cause: unknown, target: DatabaseTarget) {
    const { code, reason } = driverFacts(cause);
    const message =
      target.engine === 'pglite'
        ? `Could not open the embedded PGlite database ${target.where}: ${reason}. Check that the directory exists or can be created, is writable, and is not opened by another process.`
        : `Could not reach the PostgreSQL database at ${target.where}: ${reason}. ${whatToCheck(code, target.address)}`;
    super(DATABASE_UNREACHABLE_CODE, message, {
      cause,
      details: { engine: target.engine, where: target.where, driverCode: code },
    });
    this.where = target.where;
    this.driverCode = code;
  }
}

/** Whether `value` is a {@link DatabaseUnreachableError}, from any loaded copy. */
export function isDatabaseUnreachableError(value: unknown): value is DatabaseUnreachableError {
  return isKeelError(value, DATABASE_UNREACHABLE_CODE);
}

/**
 * A global position or stream version would pass 2^53 - 1, the largest integer a JavaScript
 * number holds exactly. The store refuses to append past it, and refuses to read a row beyond
 * it rather than hand out a rounded position (two events would share one).
 */
export class PositionOutOfRangeError extends KeelError {
  constructor(options: KeelErrorOptions & { value?: string } = {}) {
    super(
      POSITION_OUT_OF_RANGE_CODE,
      `An event position or version${options.value === undefined ? '' : ` (${options.value})`} is past 2^53 - 1 (${Number.MAX_SAFE_INTEGER}), ` +
        'which a JavaScript number cannot hold exactly; nothing was appended. Archive the store into a new schema.',
      options,
    );
  }
}

/** Whether `value` is a {@link PositionOutOfRangeError}, from any loaded copy of this package. */
export function isPositionOutOfRangeError(value: unknown): value is PositionOutOfRangeError {
  return isKeelError(value, POSITION_OUT_OF_RANGE_CODE);
}

/**
 * A worker wrote (or renewed) under a lease another process has taken over since: the write
 * was refused, so a stale owner can never move a checkpoint. The worker stops what it was
 * doing under that lease; nothing needs to be retried by hand.
 *
 * @example
 * ```ts
 * if (isLeaseLostError(error)) console.log(`${error.leaseName} now belongs to another process`);
 * ```
 */
export class LeaseLostError extends KeelError {
  /** The lease's name, e.g. `projection:balances`. */
  readonly leaseName: string;
  /** The fencing token the refused write carried. */
  readonly token: number;

  constructor(leaseName: string, token: number, current: string, options: KeelErrorOptions = {}) {
    super(
      LEASE_LOST_CODE,
      `Lease "${leaseName}" with fencing token ${token} is no longer held (${current}); the write was refused. Another process owns it now: stop working under this lease.`,
      { ...options, details: { leaseName, token, current, ...options.details } },
    );
    this.leaseName = leaseName;
    this.token = token;
  }
}

/** Whether `value` is a {@link LeaseLostError} (works across two loaded copies of the package). */
export function isLeaseLostError(value: unknown): value is LeaseLostError {
  return isKeelError(value, LEASE_LOST_CODE);
}

/** What a read-your-writes wait was waiting for, see {@link ReplicaLagError}. */
export interface ReplicaLagFacts {
  /** What the replica had to reach, e.g. `WAL position 0/3000148` or `global position 42`. */
  readonly waitedFor: string;
  /** How far the replica had come when the wait gave up, e.g. `0/3000100` or `41`. */
  readonly reached: string;
  /** The server waited on, e.g. `127.0.0.1:5433`, or `the read client` when it is unknown. */
  readonly where: string;
  /** How long the wait lasted, in ms. */
  readonly timeoutMs: number;
  /** How far behind the replica was, in words (e.g. `72 bytes of WAL behind`), when known. */
  readonly behind?: string | undefined;
}

/**
 * A replica did not catch up with a write in time: {@link waitForReplay} or
 * {@link waitForPosition} ran out of `timeoutMs`. The write itself is committed on the primary;
 * only its visibility on the replica is late. Read from the primary, or wait longer.
 */
export class ReplicaLagError extends KeelError {
  /** What the replica had to reach, e.g. `WAL position 0/3000148`. */
  readonly waitedFor: string;
  /** How far the replica had come when the wait gave up. */
  readonly reached: string;
  /** The server waited on. */
  readonly where: string;
  /** How long the wait lasted, in ms. */
  readonly timeoutMs: number;

  constructor(facts: ReplicaLagFacts, options: KeelErrorOptions = {}) {
    const behind = facts.behind === undefined ? '' : `, ${facts.behind}`;
    super(
      REPLICA_LAG_CODE,
      `The replica (${facts.where}) had not reached ${facts.waitedFor} after ${facts.timeoutMs} ms ` +
        `(it was at ${facts.reached}${behind}). The write is committed on the primary but not visible ` +
        'on the replica yet: read from the primary, or wait longer (timeoutMs).',
      { ...options, details: { ...options.details, ...facts } },
    );
    this.waitedFor = facts.waitedFor;
    this.reached = facts.reached;
    this.where = facts.where;
    this.timeoutMs = facts.timeoutMs;
  }
}

/** Whether `value` is a {@link ReplicaLagError}, from any loaded copy of this package. */
export function isReplicaLagError(value: unknown): value is ReplicaLagError {
  return isKeelError(value, REPLICA_LAG_CODE);
}
