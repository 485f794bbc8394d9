import {
  assertOptions,
  optionClock,
  optionInteger,
  optionNumber,
  optionRule,
  systemClock,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type { Clock } from '@keel/core';
import type { EventStore } from '@keel/eventsourcing';
import type { SqlExecutor } from '../sqlClient.js';
import { ReplicaLagError } from '../../errors.js';
import type { ReplicaLagFacts } from '../../errors.js';

/** A WAL position (`pg_lsn`) as PostgreSQL prints it, e.g. `0/3000148`. */
export type Lsn = string;

/** Options of {@link waitForReplay} and {@link waitForPosition}. */
export interface ReplicaWaitOptions {
  /** How long to wait before giving up with a {@link ReplicaLagError}, in ms. @default 5000 */
  timeoutMs?: number | undefined;
  /** How often to ask the replica how far it has come, in ms. @default 10 */
  pollIntervalMs?: number | undefined;
  /** Times the polls and the timeout. @default systemClock */
  clock?: Clock | undefined;
  /** Ends the wait: it rejects with the abort reason. */
  signal?: AbortSignal | undefined;
}

/** The defaults of {@link ReplicaWaitOptions}. */
export const REPLICA_WAIT_DEFAULTS = Object.freeze({ timeoutMs: 5000, pollIntervalMs: 10 });

const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

/** The options with defaults applied, checked at the call (one ValidationError lists every problem). */
export function replicaWaitSettings(subject: string, options: ReplicaWaitOptions | undefined, extra = {}) {
  const settings = withDefaults({ ...REPLICA_WAIT_DEFAULTS, clock: systemClock as Clock }, options);
  assertOptions(subject, {
    timeoutMs: optionNumber(settings.timeoutMs, { min: 0 }),
    pollIntervalMs: optionNumber(settings.pollIntervalMs, { min: 0, exclusiveMin: true }),
    clock: optionClock(settings.clock, ['now', 'sleep']),
    ...extra,
  });
  return settings;
}

/**
 * Asks `check` until it reports done, sleeping `pollIntervalMs` between asks; after `timeoutMs`
 * rejects with a {@link ReplicaLagError} built from the last answer. Always asks at least once.
 */
export async function pollReplica(
  settings: ReturnType<typeof replicaWaitSettings>,
  check: (
    signal: AbortSignal | undefined,
  ) => Promise<{ done: boolean; facts: Omit<ReplicaLagFacts, 'timeoutMs'> }>,
): Promise<void> {
  const { clock, timeoutMs, pollIntervalMs, signal } = settings;
  throwIfAborted(signal);
  const start = clock.now();
  for (;;) {
    const { done, facts } = await check(signal);
    if (done) return;
    const left = start + timeoutMs - clock.now();
    if (left <= 0) throw new ReplicaLagError({ ...facts, timeoutMs });
    await clock.sleep(Math.min(pollIntervalMs, left), signal);
  }
}

/** Options of {@link primaryLsn}. */
export interface PrimaryLsnOptions {
  /**
   * Whether the position must also cover commits made with `synchronous_commit = off` in
   * another session (e.g. a `SET LOCAL` in your write transaction): then the insert position is
   * taken, which may add up to `wal_writer_delay` (200 ms by default) to the wait, as the server
   * sends the replica only flushed WAL. By default it is chosen by this session's
   * `synchronous_commit`, which a setting of the server, database or role also sets.
   * @default undefined (by this session's setting)
   */
  unflushedCommits?: boolean | undefined;
  /** Ends the query: it rejects with the abort reason. */
  signal?: AbortSignal | undefined;
}

/**
 * The primary's WAL position at or past the end of every transaction committed before the
 * call: call it right after your write committed (e.g. after `appendToStream` resolved) and
 * pass it to {@link waitForReplay} to read your own write on a replica.
 *
 * With synchronous commits (the default) a commit is flushed before it returns, so the flush
 * position covers it, and the replica can reach it at once. Under `synchronous_commit = off`
 * the insert position is taken, which covers commits not flushed yet (see
 * {@link PrimaryLsnOptions.unflushedCommits}).
 *
 * @param primary A client (or transaction) on the primary.
 * @throws {SqlError} when the server is a replica (it has no WAL position of its own).
 * @example
 * ```ts
 * await store.appendToStream('order-1', events);
 * await waitForReplay(replica, await primaryLsn(primary));
 * ```
 */
export async function primaryLsn(primary: SqlExecutor, options: PrimaryLsnOptions = {}): Promise<Lsn> {
  const { unflushedCommits, signal } = options;
  const which =
    unflushedCommits === undefined
      ? "CASE WHEN current_setting('synchronous_commit') = 'off' THEN pg_current_wal_insert_lsn() ELSE pg_current_wal_flush_lsn() END"
      : unflushedCommits
        ? 'pg_current_wal_insert_lsn()'
        : 'pg_current_wal_flush_lsn()';
  const { rows } = await primary.query<{ lsn: string }>(
    `SELECT (${recordEnd(which)})::text AS lsn`,
    [],
    signal === undefined ? {} : { signal },
  );
  return String(rows[0]?.lsn);
}

/**
 * The SQL of `lsn` (an SQL expression) moved back to the end of the last record when it points
 * just past a WAL page header: the insert position right after a record that ends on a page
 * boundary is where the next record will start, past the header of the next page (24 bytes, or
 * 40 on the first page of a segment), but a replica that replayed everything stops at the
 * boundary, so a wait for the header's end would last until something else is written.
 */
export function recordEnd(lsn: string): string {
  return `(SELECT CASE WHEN w.b % w.seg = 40 THEN w.l - 40 WHEN w.b % w.blk = 24 THEN w.l - 24 ELSE w.l END
    FROM (SELECT v.l, pg_wal_lsn_diff(v.l, '0/0') AS b, current_setting('wal_block_size')::numeric AS blk,
            (SELECT setting::numeric FROM pg_settings WHERE name = 'wal_segment_size') AS seg
          FROM (SELECT ${lsn} AS l) v) w)`;
}

interface ReplayRow {
  readonly recovering: boolean;
  readonly replayed: string | null;
  readonly done: boolean | null;
  readonly behind: unknown;
  readonly host: string | null;
  readonly port: number | null;
}

const REPLAY_SQL = `SELECT pg_is_in_recovery() AS recovering, pg_last_wal_replay_lsn()::text AS replayed,
  pg_last_wal_replay_lsn() >= $1::pg_lsn AS done, pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::float8 AS behind,
  host(inet_server_addr()) AS host, inet_server_port() AS port`;

function whereOf(row: ReplayRow | undefined): string {
  if (row?.host == null) return 'the read client';
  return `${row.host.includes(':') ? `[${row.host}]` : row.host}:${row.port ?? '?'}`;
}

/**
 * Waits until the replica has replayed the primary's WAL up to `lsn` (from {@link primaryLsn}),
 * so a read there sees every write committed before that position. A server that is not in
 * recovery (the primary itself, or a promoted replica) has everything: the wait ends at once,
 * so the same code runs with or without a replica.
 *
 * @param replica A client on the replica.
 * @param lsn A WAL position such as `0/3000148`.
 * @throws {ValidationError} when `lsn` is not a WAL position or an option is out of range.
 * @throws {ReplicaLagError} when the replica has not replayed `lsn` after `timeoutMs`, saying
 * where, how far it got and how far behind it was.
 * @throws the signal's reason when `signal` aborts.
 * @example
 * ```ts
 * await waitForReplay(replica, lsn, { timeoutMs: 2000 });
 * ```
 */
export async function waitForReplay(
  replica: SqlExecutor,
  lsn: Lsn,
  options?: ReplicaWaitOptions,
): Promise<void> {
  const settings = replicaWaitSettings('waitForReplay', options, {
    lsn: optionRule(
      typeof lsn === 'string' && LSN.test(lsn),
      `must be a WAL position such as 0/3000148 (got ${JSON.stringify(lsn)}).`,
    ),
  });
  await pollReplica(settings, async (signal) => {
    const { rows } = await replica.query<ReplayRow>(
      REPLAY_SQL,
      [lsn],
      signal === undefined ? {} : { signal },
    );
    const row = rows[0];
    const behind = Number(row?.behind);
    return {
      done: row?.recovering === false || row?.done === true,
      facts: {
        waitedFor: `WAL position ${lsn}`,
        reached: row?.replayed ?? 'no replayed WAL',
        where: whereOf(row),
        behind: Number.isFinite(behind) ? `${behind} bytes of WAL behind` : undefined,
      },
    };
  });
}

/**
 * Waits until an event store reading from a replica shows the global log up to `position` (e.g.
 * the `globalPosition` of the last event your append returned): its `headPosition` has reached
 * it, so `readAll`, subscriptions and projection runners over that store can see the event, and
 * a runner's `waitUntilCaughtUp()` afterwards includes it.
 *
 * @param store The store whose reads go to the replica (its `readClient`).
 * @param position A global position (an integer >= 0).
 * @returns The store's head position once it reached `position`.
 * @throws {ValidationError} when `position` is not an integer >= 0 or an option is out of range.
 * @throws {ReplicaLagError} when the head is still below `position` after `timeoutMs`.
 * @throws the signal's reason when `signal` aborts.
 * @example
 * ```ts
 * const { events } = await store.appendToStream('order-1', [placed]);
 * await waitForPosition(store, events.at(-1)!.globalPosition);
 * ```
 */
export async function waitForPosition(
  store: Pick<EventStore, 'headPosition'>,
  position: number,
  options?: ReplicaWaitOptions,
): Promise<number> {
  const settings = replicaWaitSettings('waitForPosition', options, {
    position: optionInteger(position, { min: 0 }),
  });
  let head = 0;
  await pollReplica(settings, async (signal) => {
    head = await store.headPosition(signal === undefined ? {} : { signal });
    return {
      done: head >= position,
      facts: {
        waitedFor: `global position ${position}`,
        reached: `head position ${head}`,
        where: "the event store's read client",
        behind: `${position - head} positions behind`,
      },
    };
  });
  return head;
}
