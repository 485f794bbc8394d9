import { abortReason, isKeelError, Mutex, raceAbort, toError } from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import { ClientClosedError, SqlError } from '../errors.js';
import { quoteIdentifier } from './identifiers.js';
import type { ListenConnection, ListenConnector } from './listenConnection.js';
import { isConnectionLoss } from './pgConnection.js';
import type { SqlListenOptions, SqlNotificationListener, SqlUnlisten } from './sqlClient.js';

/** A notification as `pg` emits it. */
export interface PgNotificationLike {
  readonly channel: string;
  readonly payload?: string | undefined;
}

/** How {@link PgNotifications} reconnects and reports. */
export interface PgNotificationsSettings {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
}

/** One `listen` call: its own object, so the same function registered twice is two listeners. */
interface Registration {
  readonly listener: SqlNotificationListener;
}

/** The open listening connection and the channels it LISTENs to. */
interface Session {
  readonly connection: ListenConnection;
  readonly listened: Set<string>;
}

/**
 * Fans `pg` notifications out to listeners over one listening connection, opened on the first
 * `listen` and let go when nothing listens any more.
 *
 * Every change of the connection (connect, LISTEN, UNLISTEN, close) runs one at a time and
 * brings the connection's channels in line with the registered listeners, so a listener never
 * depends on the connection it was registered on. When the connection is lost, listeners stay
 * registered, the connection is reopened with exponential backoff (through the clock), every
 * channel is LISTENed again, and every listener is then called once with an empty payload,
 * because notifications sent while nobody listened are lost.
 */
export class PgNotifications {
  readonly #connect: ListenConnector;
  readonly #settings: PgNotificationsSettings;
  readonly #channels = new Map<string, Set<Registration>>();
  readonly #closing = new AbortController();
  #session: Session | undefined;
  readonly #serialized = new Mutex();
  #reconnecting = false;

  constructor(connect: ListenConnector, settings: PgNotificationsSettings) {
    this.#connect = connect;
    this.#settings = settings;
  }

  /** Registers `listener` on `channel`; resolves once the channel is LISTENed (or will be again). */
  async listen(
    channel: string,
    listener: SqlNotificationListener,
    options: SqlListenOptions = {},
  ): Promise<SqlUnlisten> {
    quoteIdentifier(channel, 'channel name');
    if (options.signal?.aborted === true) throw abortReason(options.signal);
    if (this.#closing.signal.aborted) throw new ClientClosedError('client');
    const registration: Registration = { listener };
    let registered = this.#channels.get(channel);
    if (registered === undefined) this.#channels.set(channel, (registered = new Set()));
    registered.add(registration);
    const unlisten = (): Promise<void> => this.#unlisten(channel, registration);
    // While reconnecting, the reconnection LISTENs this channel and then calls the listener once.
    if (this.#reconnecting) return unlisten;
    try {
      await raceAbort(
        this.#serial(() => this.#sync()),
        options.signal,
      );
    } catch (error) {
      if (this.#reconnecting && !isAbort(error, options.signal)) return unlisten;
      await unlisten();
      throw this.#closing.signal.aborted ? new ClientClosedError('client') : error;
    }
    return unlisten;
  }

  /** Stops every listener and lets the connection go, leaving it as it was found. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new ClientClosedError('client'));
    this.#channels.clear();
    await this.#serial(async () => {
      const session = this.#session;
      this.#session = undefined;
      await session?.connection.dispose();
    });
  }

  /** Removes one registration (idempotent, never throws) and UNLISTENs a channel nobody wants. */
  async #unlisten(channel: string, registration: Registration): Promise<void> {
    const registered = this.#channels.get(channel);
    if (registered?.delete(registration) !== true) return;
    if (registered.size === 0) this.#channels.delete(channel);
    // Without a live connection there is nothing to UNLISTEN: the next sync reads the channels again.
    if (this.#session === undefined || this.#closing.signal.aborted) return;
    try {
      await this.#serial(() => this.#sync());
    } catch (error) {
      this.#settings.logger.debug('UNLISTEN failed; the connection will be replaced.', {
        channel,
        error: toError(error).message,
      });
    }
  }

  /** Runs connection work one call at a time (a pg connection runs one statement at a time). */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    return this.#serialized.run(work);
  }

  /**
   * Makes the connection LISTEN to exactly the registered channels: opens it when something
   * must be listened to, lets it go when nothing is. Re-reads the channels after every await,
   * so listeners added or removed meanwhile are taken into account before it returns.
   */
  async #sync(): Promise<void> {
    for (;;) {
      if (this.#closing.signal.aborted) throw new ClientClosedError('client');
      const session = this.#session;
      if (session === undefined) {
        if (this.#channels.size === 0) return;
        await this.#open();
        continue;
      }
      if (this.#channels.size === 0) {
        this.#session = undefined;
        await session.connection.dispose();
        return;
      }
      const missing = [...this.#channels.keys()].find((channel) => !session.listened.has(channel));
      if (missing !== undefined) {
        await this.#run(session, `LISTEN ${quoteIdentifier(missing)}`);
        session.listened.add(missing);
        continue;
      }
      const extra = [...session.listened].find((channel) => !this.#channels.has(channel));
      if (extra === undefined) return;
      await this.#run(session, `UNLISTEN ${quoteIdentifier(extra)}`);
      session.listened.delete(extra);
    }
  }

  async #open(): Promise<void> {
    // The handlers need the session, which exists only once the connection does.
    const opened: { session?: Session } = {};
    const connection = await this.#connect(
      {
        notification: (message) => {
          if (opened.session !== undefined && opened.session === this.#session) this.#dispatch(message);
        },
        lost: (error) => {
          if (opened.session !== undefined) this.#lose(opened.session, error);
        },
      },
      this.#closing.signal,
    ).catch((error: unknown) => {
      if (this.#closing.signal.aborted) throw new ClientClosedError('client');
      throw isKeelError(error) ? error : new SqlError(error, 'connect');
    });
    opened.session = { connection, listened: new Set() };
    this.#session = opened.session;
  }

  /** Runs LISTEN/UNLISTEN; a failure that means the connection is gone drops the session. */
  async #run(session: Session, sql: string): Promise<void> {
    try {
      await session.connection.query(sql);
    } catch (error) {
      if (isConnectionLoss(error)) this.#lose(session, toError(error));
      throw new SqlError(error, sql);
    }
    if (session !== this.#session) throw new SqlError(new Error('The LISTEN connection was lost.'), sql);
  }

  /** Drops a broken session and, if anything still listens, starts listening again. */
  #lose(session: Session, error: Error): void {
    if (session !== this.#session) return;
    this.#session = undefined;
    void session.connection.dispose(error);
    if (this.#closing.signal.aborted) return;
    this.#settings.logger.warn('The PostgreSQL LISTEN connection was lost; listening again.', {
      error: error.message,
      channels: [...this.#channels.keys()],
    });
    if (this.#channels.size > 0) void this.#reconnect();
  }

  /** Reopens the connection with exponential backoff until it listens, nothing listens, or close. */
  async #reconnect(): Promise<void> {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    const { clock, logger, reconnectDelayMs, maxReconnectDelayMs } = this.#settings;
    try {
      for (let attempt = 0; this.#channels.size > 0; attempt++) {
        await clock.sleep(
          Math.min(maxReconnectDelayMs, reconnectDelayMs * 2 ** attempt),
          this.#closing.signal,
        );
        const resumed = await this.#serial(async () => {
          await this.#sync();
          // No await between the last check of #sync and this line: no listen() slips in between.
          if (this.#session === undefined) return false;
          this.#reconnecting = false;
          return true;
        }).catch((error: unknown) => {
          if (!this.#closing.signal.aborted)
            logger.debug('Listening again failed; retrying.', { attempt, error: toError(error).message });
          return false;
        });
        if (resumed) {
          logger.info('The PostgreSQL LISTEN connection is back; listeners are woken once.', {});
          this.#wakeEveryListener();
          return;
        }
      }
    } catch {
      // Closed while waiting.
    } finally {
      this.#reconnecting = false;
    }
  }

  #dispatch(message: PgNotificationLike): void {
    for (const registration of [...(this.#channels.get(message.channel) ?? [])])
      this.#call(registration, message.payload ?? '');
  }

  #wakeEveryListener(): void {
    for (const registrations of [...this.#channels.values()])
      for (const registration of [...registrations]) this.#call(registration, '');
  }

  #call(registration: Registration, payload: string): void {
    try {
      registration.listener(payload);
    } catch (error) {
      this.#settings.logger.error('A notification listener threw; other listeners still run.', {
        error: toError(error).message,
      });
    }
  }
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && error === abortReason(signal);
}
