// Settings of the PostgreSQL suite and the pieces every contender shares: the server URL, the
// commit modes, pools with their own type parsers, and the events appended.
import pg from 'pg';

/** The server every contender runs against (the same database, one schema each). */
export const PG_URL = process.env.KEEL_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const quick = process.env.BENCH_QUICK === '1';

/** How long one contender appends in one setting of one round, in ms. */
export const APPEND_MS = Number(process.env.BENCH_PG_APPEND_MS ?? (quick ? 400 : 1_500));
/** How many rounds: every contender runs every setting once per round, interleaved. */
export const ROUNDS = Number(process.env.BENCH_PG_ROUNDS ?? (quick ? 1 : 3));
/**
 * Slices each contender's time of a setting in a round is cut into: the contenders take turns
 * slice by slice (order rotated per slice), so a change of the machine's speed within the round
 * falls on all of them alike instead of on whichever ran during it.
 */
export const SLICES = Math.max(1, Number(process.env.BENCH_PG_SLICES ?? (quick ? 2 : 6)));
/** How long the projection-lag benchmark appends, in ms. */
export const LAG_MS = Number(process.env.BENCH_PG_LAG_MS ?? (quick ? 5_000 : 30_000));
/** The length of the stream read back by the rebuild benchmark. */
export const REBUILD_EVENTS = 10_000;
/** Connections per contender pool: one per writer of the 8-writer settings, plus one. */
export const POOL_SIZE = 9;

/** The server's commit setting for every session of every contender in a run. */
export type CommitMode = 'default commit' | 'synchronous_commit = off';
export const COMMIT_MODES: readonly CommitMode[] = ['default commit', 'synchronous_commit = off'];

/** A unique suffix so two runs (or a crashed earlier run) never share a schema. */
export const RUN_ID = `${process.pid}_${Date.now().toString(36)}`;

/**
 * The startup `options` of every connection in a mode: `synchronous_commit` is set per
 * session, the same way for the three contenders.
 */
export function sessionOptions(mode: CommitMode, searchPath?: string): string | undefined {
  const parts: string[] = [];
  if (mode === 'synchronous_commit = off') parts.push('-c synchronous_commit=off');
  if (searchPath !== undefined) parts.push(`-c search_path=${searchPath}`);
  return parts.length === 0 ? undefined : parts.join(' ');
}

// Emmett's dumbo replaces pg's global parsers for int8, json and jsonb the first time it makes a
// pool (int8 as BigInt). Keel and the floor get the parsers pg has before that, through a
// `types` object of their own, so each library sees the types it was written for.
const OWN_PARSERS = new Map<number, (value: string) => unknown>(
  [20, 114, 3802].map((oid) => [oid, pg.types.getTypeParser(oid, 'text') as (value: string) => unknown]),
);

/** pg's own type parsers, as they were before Emmett changed the global ones. */
export const pgDefaultTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && OWN_PARSERS.has(oid)
      ? OWN_PARSERS.get(oid)!
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A pool for Keel or the floor in a commit mode, with pg's own type parsers. */
export function ownTypesPool(mode: CommitMode, max = POOL_SIZE): pg.Pool {
  const options = sessionOptions(mode);
  return new pg.Pool({
    connectionString: PG_URL,
    max,
    types: pgDefaultTypes,
    ...(options === undefined ? {} : { options }),
  });
}

/** The event every contender appends: a small JSON payload, as in the in-memory suite. */
export interface BenchEvent {
  readonly type: 'Deposited';
  readonly data: { readonly amount: number; readonly note: string };
}

/** A batch of `size` deposits. */
export function deposits(size: number, from = 1): BenchEvent[] {
  return Array.from({ length: size }, (_, index) => ({
    type: 'Deposited' as const,
    data: { amount: from + index, note: 'benchmark deposit' },
  }));
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
