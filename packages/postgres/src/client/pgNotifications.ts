import { SqlError } from './errors.js';
import { quoteIdentifier } from './identifiers.js';
import type { SqlNotificationListener, SqlUnlisten } from './sqlClient.js';

/** A notification as `pg` emits it. */
export interface PgNotificationLike {
  readonly channel: string;
  readonly payload?: string | undefined;
}

/** The part of a pooled `pg` connection that LISTEN needs. */
export interface PgListeningConnectionLike {
  query(sql: string): Promise<unknown>;
  release(error?: Error | boolean): void;
  on(event: 'notification', listener: (message: PgNotificationLike) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Fans `pg` notifications out to listeners over one dedicated pooled connection, taken on the
 * first `listen` and released on `close`. A broken connection is dropped; the next `listen`
 * takes a new one (listeners registered before are lost, which is why notifications are only
 * a wake-up hint next to polling).
 */
export class PgNotifications {
  readonly #connect: () => Promise<PgListeningConnectionLike>;
  readonly #listeners = new Map<string, Set<SqlNotificationListener>>();
  #connection: Promise<PgListeningConnectionLike> | undefined;

  constructor(connect: () => Promise<PgListeningConnectionLike>) {
    this.#connect = connect;
  }

  async listen(channel: string, listener: SqlNotificationListener): Promise<SqlUnlisten> {
    const quoted = quoteIdentifier(channel, 'channel name');
    const connection = await this.#ensureConnection();
    let listeners = this.#listeners.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
      await run(connection, `LISTEN ${quoted}`);
    }
    const registered = listeners;
    registered.add(listener);
    return async () => {
      if (!registered.delete(listener) || registered.size > 0) return;
      this.#listeners.delete(channel);
      await run(connection, `UNLISTEN ${quoted}`);
    };
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#listeners.clear();
    if (connection !== undefined) (await connection.catch(() => undefined))?.release();
  }

  #ensureConnection(): Promise<PgListeningConnectionLike> {
    this.#connection ??= this.#open();
    return this.#connection;
  }

  async #open(): Promise<PgListeningConnectionLike> {
    const connection = await this.#connect().catch((error: unknown) => {
      this.#connection = undefined;
      throw new SqlError(error, 'connect');
    });
    connection.on('notification', (message) => {
      for (const listener of this.#listeners.get(message.channel) ?? []) listener(message.payload ?? '');
    });
    connection.on('error', (error) => {
      this.#connection = undefined;
      this.#listeners.clear();
      connection.release(error);
    });
    return connection;
  }
}

async function run(connection: PgListeningConnectionLike, sql: string): Promise<void> {
  try {
    await connection.query(sql);
  } catch (error) {
    throw new SqlError(error, sql);
  }
}
