import { assertOptions, optionInteger, optionRule, optionString } from '@keel/core';
import { createPostgres } from '../createPostgres.js';
import type { CreatePostgresOptions } from '../createPostgres.js';
import type { SqlClient } from '../sqlClient.js';
import { primaryLsn, waitForReplay } from './replicaWait.js';
import type { Lsn, PrimaryLsnOptions, ReplicaWaitOptions } from './replicaWait.js';

/** Options of {@link createPostgresWithReplica}: those of `createPostgres`, plus the replica's. */
export interface CreatePostgresWithReplicaOptions extends CreatePostgresOptions {
  /**
   * The connection URL of a streaming replica (a hot standby) of `url`. When unset or empty,
   * reads go to the primary and every wait ends at once, so one code path runs with and without
   * a replica. @default undefined (no replica)
   */
  readUrl?: string | undefined;
  /** The most connections of the replica's pool. @default maxConnections */
  readMaxConnections?: number | undefined;
}

/** A primary and a replica of it, see {@link createPostgresWithReplica}. */
export interface PostgresWithReplica {
  /** The primary: every write, every lock and lease, LISTEN/NOTIFY, checkpoints. */
  readonly primary: SqlClient;
  /** The replica for reads that may lag; the primary itself when there is no `readUrl`. */
  readonly replica: SqlClient;
  /** Whether `replica` is a separate server. */
  readonly hasReplica: boolean;
  /** The primary's WAL position now; call it after your write committed. See {@link primaryLsn}. */
  primaryLsn(options?: PrimaryLsnOptions): Promise<Lsn>;
  /**
   * Waits until the replica replayed `lsn` (default: the primary's position now, i.e. every
   * write committed before this call). See {@link waitForReplay}.
   * @throws {ReplicaLagError} when the replica has not caught up after `timeoutMs`.
   */
  waitForReplica(lsn?: Lsn, options?: ReplicaWaitOptions): Promise<void>;
  /** Closes both clients; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Opens a PostgreSQL primary and, when `readUrl` is given, a streaming replica of it. Hand
 * `primary` to the stores (and as `client` of the event store), `replica` as the event store's
 * `readClient` and to your queries; call `waitForReplica()` after a write when the next read on
 * the replica must see it (read-your-writes). Replication stays asynchronous and there is no
 * failover: when the primary restarts, its pool reconnects by itself.
 *
 * @throws {ValidationError} when `readUrl` is set without `url`, or an option is not valid.
 * @throws {MissingDriverError} when `pg` is not installed.
 * @example
 * ```ts
 * const db = await createPostgresWithReplica({ url: process.env.KEEL_PG_URL, readUrl: process.env.KEEL_PG_READ_URL });
 * const store = new PostgresEventStore(db.primary, { readClient: db.replica });
 * ```
 */
export async function createPostgresWithReplica(
  options: CreatePostgresWithReplicaOptions = {},
): Promise<PostgresWithReplica> {
  const { readUrl, readMaxConnections, ...primaryOptions } = options;
  const hasReplica = readUrl !== undefined && readUrl !== '';
  assertOptions('createPostgresWithReplica', {
    readUrl:
      readUrl === ''
        ? undefined
        : (optionString(readUrl) ??
          optionRule(
            !hasReplica || (options.url ?? '') !== '',
            'needs url: a replica is read beside a PostgreSQL primary, not beside embedded PGlite.',
          )),
    readMaxConnections: optionInteger(readMaxConnections, { min: 1 }),
  });
  const primary = await createPostgres(primaryOptions);
  const replica = hasReplica
    ? await createPostgres({
        ...primaryOptions,
        url: readUrl,
        maxConnections: readMaxConnections ?? options.maxConnections,
      })
    : primary;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await Promise.all([primary.close(), hasReplica ? replica.close() : undefined]);
  };
  return {
    primary,
    replica,
    hasReplica,
    primaryLsn: (lsnOptions) => primaryLsn(primary, lsnOptions),
    waitForReplica: async (lsn, waitOptions) => {
      if (!hasReplica) return;
      await waitForReplay(replica, lsn ?? (await primaryLsn(primary, signalOf(waitOptions))), waitOptions);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function signalOf(options: ReplicaWaitOptions | undefined): { signal?: AbortSignal } {
  return options?.signal === undefined ? {} : { signal: options.signal };
}
