import { EventEmitter } from 'node:events';
import type { ListenConnection, ListenConnector, ListenHandlers } from './listenConnection.js';
import type { PgQueryResultLike } from './pgPoolClient.js';

/** A driver error with a SQLSTATE, as `pg` raises it. */
export function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

/** A promise with its resolve and reject, for holding a fake call open. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Test fixture: one fake listening connection opened by {@link FakeConnector}. */
export interface FakeListenConnection extends ListenConnection {
  readonly handlers: ListenHandlers;
  readonly statements: string[];
  disposed: 'no' | 'clean' | 'broken';
  /** Makes the next statement starting with `prefix` fail with `error`. */
  failNext(prefix: string, error: Error): void;
}

/**
 * Test fixture: a {@link ListenConnector} whose connections record their statements and whose
 * connect can be made to fail or wait.
 */
export class FakeConnector {
  readonly opened: FakeListenConnection[] = [];
  attempts = 0;
  /** Errors the next connects fail with, in order. */
  readonly failures: Error[] = [];
  /** When set, connects wait for it. */
  gate: Promise<void> | undefined;
  /** Called with every new connection before it is handed out (e.g. to plan failures). */
  onOpen: ((connection: FakeListenConnection) => void) | undefined;

  readonly connect: ListenConnector = async (handlers, signal) => {
    this.attempts++;
    if (this.gate !== undefined) {
      const aborted = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(driverError('connect aborted')), { once: true }),
      );
      await Promise.race([this.gate, aborted]);
    }
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const planned = new Map<string, Error>();
    const connection: FakeListenConnection = {
      handlers,
      statements: [],
      disposed: 'no',
      failNext: (prefix, error) => planned.set(prefix, error),
      query: async (sql) => {
        if (connection.disposed !== 'no') throw driverError('Client was closed and is not queryable');
        for (const [prefix, error] of planned) {
          if (!sql.startsWith(prefix)) continue;
          planned.delete(prefix);
          throw error;
        }
        connection.statements.push(sql);
        return undefined;
      },
      dispose: async (broken) => {
        connection.disposed = broken === undefined ? 'clean' : 'broken';
      },
    };
    this.opened.push(connection);
    this.onOpen?.(connection);
    return connection;
  };

  /** The connection opened last. */
  get current(): FakeListenConnection {
    const last = this.opened.at(-1);
    if (last === undefined) throw new Error('No connection was opened.');
    return last;
  }
}

/** Test fixture: a pooled `pg` connection (an EventEmitter) that records statements and releases. */
export class FakePgConnection extends EventEmitter {
  readonly statements: string[] = [];
  readonly releases: (Error | boolean | undefined)[] = [];
  readonly failures = new Map<string, Error>();

  async query(sql: string): Promise<PgQueryResultLike> {
    const failure = this.failures.get(sql);
    if (failure !== undefined) throw failure;
    this.statements.push(sql);
    return { rows: [], rowCount: 0 };
  }

  release(error?: Error | boolean): void {
    this.releases.push(error);
  }

  /** How many listeners of the events the client uses are attached. */
  listenerTotal(): number {
    return ['notification', 'error', 'end'].reduce((sum, event) => sum + this.listenerCount(event), 0);
  }
}

/** Test fixture: a pool of one {@link FakePgConnection} whose `connect` can be held. */
export class FakePgPool {
  readonly connection = new FakePgConnection();
  gate: Promise<void> | undefined;
  connects = 0;
  ended = 0;

  async connect(): Promise<FakePgConnection> {
    this.connects++;
    if (this.gate !== undefined) await this.gate;
    return this.connection;
  }

  async end(): Promise<void> {
    this.ended++;
  }
}
