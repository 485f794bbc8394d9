import { abortReason, toError, whenAborted } from '@keel/core';
import { DatabaseUnreachableError } from '../errors.js';
import type { DatabaseTarget } from './connectionFailure.js';
import { acquireConnection } from './pgConnection.js';
import type { PgConnectionLike, PgPoolClientLike } from './pgConnection.js';
import type { PgNotificationLike } from './pgNotifications.js';

/** What a listening connection reports to its owner. */
export interface ListenHandlers {
  /** A `NOTIFY` arrived. */
  notification(message: PgNotificationLike): void;
  /** The connection broke (server ended the session, socket error); it is unusable. */
  lost(error: Error): void;
}

/** One open connection that `LISTEN` runs on. */
export interface ListenConnection {
  /** Runs LISTEN / UNLISTEN; rejects with the driver's error. */
  query(sql: string): Promise<unknown>;
  /**
   * Gives the connection up and leaves it as it was found (never throws): every listener the
   * client added is removed; a borrowed connection gets `UNLISTEN *` and goes back to its pool,
   * or is destroyed when `broken` is set or the `UNLISTEN *` fails; a dedicated one is ended.
   * With `broken` set, the connection is let go synchronously, before the returned promise.
   */
  dispose(broken?: Error): Promise<void>;
}

/** Opens a listening connection; an abort ends a connection attempt still in progress. */
export type ListenConnector = (handlers: ListenHandlers, signal: AbortSignal) => Promise<ListenConnection>;

/** A `pg.Client` as the dedicated listening connection needs it. */
export interface PgDedicatedClientLike extends PgConnectionLike {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
}

/** A constructor of {@link PgDedicatedClientLike} (`pg.Client`, or the `Client` of a `pg.Pool`). */
export type PgClientConstructorLike = new (config: object) => PgDedicatedClientLike;

function ignore(): void {}

/** Attaches the three handlers and returns a function that removes them again. */
function attach(connection: PgConnectionLike, handlers: ListenHandlers, isLive: () => boolean): () => void {
  const onNotification = (message: PgNotificationLike): void => {
    if (isLive()) handlers.notification(message);
  };
  const onError = (error: Error): void => {
    if (isLive()) handlers.lost(toError(error));
  };
  const onEnd = (): void => onError(new Error('The LISTEN connection ended unexpectedly.'));
  connection.on('notification', onNotification);
  connection.on('error', onError);
  connection.on('end', onEnd);
  return () => {
    connection.removeListener('notification', onNotification);
    connection.removeListener('error', onError);
    connection.removeListener('end', onEnd);
  };
}

/**
 * Listens on a connection of its own, made with the pool's `Client` class and connection
 * options exactly as the pool makes its own: it never takes one of the pool's connections, so
 * LISTEN works on a pool of any size (even `max: 1`) and pooled connections are never touched.
 */
export function dedicatedConnector(
  Client: PgClientConstructorLike,
  config: object,
  target: DatabaseTarget,
): ListenConnector {
  return async (handlers, signal) => {
    // An abort before the call rejects with its reason without opening a connection at all.
    if (signal.aborted) throw abortReason(signal);
    const client = new Client(config);
    // Errors after we let go (a second "terminated" error, a failed end) must not crash the process.
    client.on('error', ignore);
    let live = false;
    const detach = attach(client, handlers, () => live);
    const stop = (): void => void client.end().catch(ignore);
    const unfollow = whenAborted(signal, stop);
    try {
      await client.connect();
      if (signal.aborted) throw abortReason(signal);
    } catch (error) {
      detach();
      stop();
      throw signal.aborted ? error : new DatabaseUnreachableError(error, target);
    } finally {
      unfollow();
    }
    live = true;
    return {
      query: (sql) => client.query(sql),
      dispose: async () => {
        live = false;
        detach();
        await client.end().catch(ignore);
      },
    };
  };
}

/**
 * Listens on a connection borrowed from the pool (for pools without a `Client` class). The
 * connection is held while anything listens and handed back exactly as it was found.
 */
export function pooledConnector(connect: () => Promise<PgPoolClientLike>): ListenConnector {
  return async (handlers, signal) => {
    const connection = await acquireConnection(connect, signal);
    let live = true;
    const detach = attach(connection, handlers, () => live);
    return {
      query: (sql) => connection.query(sql),
      dispose: async (broken) => {
        live = false;
        if (broken !== undefined) {
          detach();
          connection.release(broken);
          return;
        }
        try {
          // Our error listener stays attached while UNLISTEN runs, so a failure cannot go unhandled.
          await connection.query('UNLISTEN *');
        } catch (error) {
          detach();
          connection.release(toError(error));
          return;
        }
        detach();
        connection.release();
      },
    };
  };
}
