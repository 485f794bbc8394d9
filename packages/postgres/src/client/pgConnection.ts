import { isKeelError, raceAbort, throwIfAborted, toError } from '@keel/core';
import { DatabaseUnreachableError } from '../errors.js';
import { SqlError } from '../errors.js';
import type { PgNotificationLike } from './pgNotifications.js';
import type { PgQueryResultLike } from './pgPoolClient.js';

/** The part of a `pg` connection (pooled or not) the client uses; a `pg.Client` fits. */
export interface PgConnectionLike {
  query(sql: string, params?: unknown[]): Promise<PgQueryResultLike>;
  on(event: 'notification', listener: (message: PgNotificationLike) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'notification' | 'error' | 'end', listener: (...args: any[]) => void): unknown;
}

/**
 * The part of a pooled `pg` connection the client uses (a `pg.PoolClient` fits). Every listener
 * the client adds is removed again before `release`, so the connection goes back as it came.
 */
export interface PgPoolClientLike extends PgConnectionLike {
  /** Returns the connection; with an error (or `true`) the pool destroys it instead. */
  release(error?: Error | boolean): void;
}

/**
 * Whether a failure means the connection itself is gone (so it must be destroyed, not reused):
 * no SQLSTATE at all (a socket error, "Connection terminated unexpectedly"), class 08
 * (connection exception) or 57P0x (the server shut the session down, e.g. `pg_terminate_backend`).
 */
export function isConnectionLoss(error: unknown): boolean {
  const cause = error instanceof SqlError || error instanceof DatabaseUnreachableError ? error.cause : error;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || code.startsWith('57P0');
}

/**
 * Takes a connection from the pool. An abort ends the wait for a free connection at once; the
 * connection, if it comes later, goes straight back to the pool.
 *
 * @throws {DatabaseUnreachableError} (or any Keel error `connect` throws as it is) when the pool
 * cannot connect; a driver error is wrapped in an {@link SqlError}.
 */
export async function acquireConnection<TConnection extends { release(error?: Error | boolean): void }>(
  connect: () => Promise<TConnection>,
  signal: AbortSignal | undefined,
): Promise<TConnection> {
  throwIfAborted(signal);
  const pending = connect();
  try {
    return await raceAbort(pending, signal);
  } catch (error) {
    if (signal?.aborted === true) {
      pending.then(
        (late) => late.release(),
        () => undefined,
      );
      throw error;
    }
    throw isKeelError(error) ? error : new SqlError(error, 'connect');
  }
}

/**
 * Runs `use` on a connection taken from the pool and always gives it back: healthy, or
 * destroyed when it broke. While held, the connection's `error` event is handled (a server that
 * ends the session would otherwise crash the process with an unhandled `error`), and the
 * listener is removed before release, so the connection goes back exactly as it came.
 */
export async function withPooledConnection<TConnection extends PgPoolClientLike, T>(
  connect: () => Promise<TConnection>,
  signal: AbortSignal | undefined,
  use: (connection: TConnection, markBroken: (error: unknown) => void) => Promise<T>,
): Promise<T> {
  const connection = await acquireConnection(connect, signal);
  let broken: Error | undefined;
  const markBroken = (error: unknown): void => {
    broken ??= toError(error);
  };
  connection.on('error', markBroken);
  try {
    return await use(connection, markBroken);
  } catch (error) {
    // Only a failed statement says something about the connection; a callback's own error does not.
    if (error instanceof SqlError && isConnectionLoss(error)) markBroken(error);
    throw error;
  } finally {
    connection.removeListener('error', markBroken);
    connection.release(broken ?? false);
  }
}
