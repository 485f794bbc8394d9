import { isKeelError, KeelError, SERIALIZATION_ERROR_CODE } from '@keel/core';
export { SerializationError, isSerializationError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';
import { DATABASE_UNREACHABLE_CODE } from './connectionError.js';

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
