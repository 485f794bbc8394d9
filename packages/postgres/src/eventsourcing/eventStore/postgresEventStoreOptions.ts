import {
  assertOptions,
  optionBoolean,
  optionInteger,
  optionNumber,
  optionObject,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type { InlineProjection } from '@keel/eventsourcing';
import type { SqlExecutor, SqlTransaction } from '../../client/sqlClient.js';

/** Options of {@link PostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** The schema that holds the `events` table (created by `migrate()`). @default 'keel' */
  schema?: string | undefined;
  /** The source of `recordedAt` and of the polling timer. @default systemClock */
  clock?: Clock | undefined;
  /** Events per page of subscriptions (an integer >= 1). @default 500 */
  pageSize?: number | undefined;
  /**
   * Events per query of `readStream` and `readAll` when the read sets no `pageSize` (an
   * integer >= 1): a rebuild of most streams is one query, and memory stays bounded for longer
   * ones. @default 16384
   */
  readPageSize?: number | undefined;
  /**
   * How often a waiting subscription polls for events appended by other processes, in ms.
   * Appends of this store object wake it at once, and so do `NOTIFY`s when `listen` is on.
   * @default 1000
   */
  pollIntervalMs?: number | undefined;
  /**
   * Whether appends send a `NOTIFY` and subscriptions `LISTEN` for them (when the client is a
   * `SqlClient`, which can listen), so subscribers in other processes wake within 10 to 20 ms.
   * The appends of the store's own transactions notify at most about once per 10 ms: an append
   * sent 10 ms or more after the last notification carries one in its own transaction, and the
   * appends committed without one get a `NOTIFY` of their own once no append in flight can carry
   * it (a `NOTIFY` in every append would make commits queue on PostgreSQL's notification lock). An
   * append in the caller's transaction notifies inside it.
   * @default true
   */
  notify?: boolean | undefined;
  /**
   * Where reads of the global log go: `readAll`, `subscribeToAll`, `subscribeToStream` and
   * `headPosition`, e.g. a client on a streaming replica (see `createPostgresWithReplica`).
   * Appends, `readStream` and `streamVersion` (the write side: loading an aggregate before
   * appending to it) stay on the store's client, and so does `LISTEN` (a replica cannot LISTEN;
   * the primary's notifications wake subscriptions, polling covers the replica's lag). A replica
   * shows what the primary committed a little later, never a gap: use `waitForPosition` to read
   * your own append there. @default the store's client
   */
  readClient?: SqlExecutor | undefined;
  /**
   * Group commit: at most this many appends of this store object run at once (an integer >= 1,
   * or `Infinity` for no limit); an append is sent at once when nothing runs, and appends that
   * arrive while calls run wait: at the event loop's next turn the free calls take them, each its
   * fair share of the appends sent and waiting (up to 1,000 events, one append per stream), to
   * PostgreSQL in one round trip, one transaction and one commit. Each append keeps its own outcome (expected version,
   * idempotency, errors), as if they had run one after the other in arrival order; a group that
   * clashes with a concurrent append, or waits more than 100 ms for a lock, is sent again append
   * by append. With few appends at once nothing waits; with many, the store spends less per
   * append. Appends in a caller's transaction or with inline projections are never grouped. An
   * append waiting for its group stops at its signal's abort.
   * @default 2
   */
  maxAppendCalls?: number | undefined;
  /**
   * Projections run inside each append's transaction with the same `tx`: their writes commit
   * with the events, and if one throws, nothing is appended. @default []
   */
  inlineProjections?: readonly InlineProjection<SqlTransaction>[] | undefined;
}

/** The defaults of {@link PostgresEventStoreOptions}. */
export const POSTGRES_EVENT_STORE_DEFAULTS = Object.freeze({
  schema: 'keel',
  pageSize: 500,
  readPageSize: 16384,
  pollIntervalMs: 1000,
  notify: true,
  maxAppendCalls: 2,
});

/** The options with every default applied, checked: one `ValidationError` lists every problem. */
export function resolveEventStoreOptions(options: PostgresEventStoreOptions | undefined) {
  const settings = withDefaults(POSTGRES_EVENT_STORE_DEFAULTS, options);
  assertOptions('PostgresEventStore', {
    pageSize: optionInteger(settings.pageSize, { min: 1 }),
    readPageSize: optionInteger(settings.readPageSize, { min: 1 }),
    pollIntervalMs: optionNumber(settings.pollIntervalMs, { min: 0, exclusiveMin: true }),
    notify: optionBoolean(settings.notify),
    maxAppendCalls: optionInteger(settings.maxAppendCalls, { min: 1, infinity: true }),
    readClient: optionObject(settings.readClient, 'an SqlClient', ['query']),
    clock: optionObject(settings.clock, 'a Clock', ['now', 'setTimeout', 'sleep']),
    inlineProjections:
      settings.inlineProjections === undefined ||
      (Array.isArray(settings.inlineProjections) &&
        settings.inlineProjections.every((projection) => typeof projection?.apply === 'function'))
        ? undefined
        : 'must be an array of inline projections (objects with apply).',
  });
  return settings;
}
