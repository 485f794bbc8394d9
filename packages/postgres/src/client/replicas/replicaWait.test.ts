import { isValidationError, ManualClock } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient, SqlExecutor } from '../sqlClient.js';
import { createTestPglite } from '../../internal/testDatabase.fixture.js';
import { createPostgresWithReplica } from './createPostgresWithReplica.js';
import { isReplicaLagError } from '../../errors.js';
import { primaryLsn, recordEnd, waitForPosition, waitForReplay } from './replicaWait.js';

/** A replica that answers the replay query with a fixed position and counts the questions. */
function laggingReplica(replayed: string, host: string | null = '10.0.0.8') {
  const replica = {
    asked: 0,
    query: async () => {
      replica.asked++;
      return {
        rows: [{ recovering: true, replayed, done: false, behind: 72, host, port: 5433 }],
        rowCount: 1,
      };
    },
  };
  return replica;
}

const asExecutor = (fake: object) => fake as unknown as SqlExecutor;

describe('waitForReplay', () => {
  let pglite: SqlClient;
  beforeAll(async () => {
    pglite = await createTestPglite();
  });
  afterAll(() => pglite.close());

  it('ends at once on a server that is not a replica, so one code path runs without a replica', async () => {
    const lsn = await primaryLsn(pglite);
    expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(await primaryLsn(pglite, { unflushedCommits: true })).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    await expect(waitForReplay(pglite, lsn, { timeoutMs: 0 })).resolves.toBeUndefined();
  });

  it.each([
    ['0/3092018', '0/3092000'], // just past a page header: the last record ended on the boundary
    ['0/3000028', '0/3000000'], // just past the long header of a segment's first page
    ['0/3092100', '0/3092100'],
    ['0/3002000', '0/3002000'], // a page boundary itself
  ])('takes %s as the end of the last record at %s', async (insert, end) => {
    const { rows } = await pglite.query<{ lsn: string }>(
      `SELECT (${recordEnd(`'${insert}'::pg_lsn`)})::text AS lsn`,
    );
    expect(rows[0]!.lsn).toBe(end);
  });

  it('refuses a value that is not a WAL position, and out-of-range options, without asking the server', async () => {
    const replica = laggingReplica('0/10');
    const error = await waitForReplay(asExecutor(replica), '42', { timeoutMs: -1, pollIntervalMs: 0 }).catch(
      (e: unknown) => e,
    );
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/lsn.*WAL position such as 0\/3000148 \(got "42"\)/s);
    expect((error as Error).message).toMatch(/timeoutMs/);
    expect((error as Error).message).toMatch(/pollIntervalMs/);
    expect(replica.asked).toBe(0);
  });

  it('asks every pollIntervalMs until timeoutMs, then says where, what and how far behind', async () => {
    const clock = new ManualClock();
    const replica = laggingReplica('0/3000100');
    const waiting = waitForReplay(asExecutor(replica), '0/3000148', {
      clock,
      timeoutMs: 100,
      pollIntervalMs: 30,
    }).catch((e: unknown) => e);
    await clock.runAllAsync();
    const error = await waiting;
    expect(isReplicaLagError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'The replica (10.0.0.8:5433) had not reached WAL position 0/3000148 after 100 ms (it was at 0/3000100, ' +
        '72 bytes of WAL behind). The write is committed on the primary but not visible on the replica yet: ' +
        'read from the primary, or wait longer (timeoutMs).',
    );
    expect(replica.asked).toBe(5); // at 0, 30, 60, 90 and 100 ms
  });

  it('waits on a clock with only now and sleep, and refuses one without sleep', async () => {
    const clock = new ManualClock();
    const replica = laggingReplica('0/3000100');
    const partial = {
      now: () => clock.now(),
      sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal),
    };
    const waiting = waitForReplay(asExecutor(replica), '0/3000148', {
      clock: partial as never,
      timeoutMs: 100,
      pollIntervalMs: 30,
    }).catch((e: unknown) => e);
    await clock.runAllAsync();
    expect(isReplicaLagError(await waiting)).toBe(true);
    expect(replica.asked).toBe(5);
    await expect(
      waitForReplay(asExecutor(replica), '0/3000148', { clock: { now: () => 0 } as never }),
    ).rejects.toThrow(/clock: must be a Clock \(with now, sleep\)/);
  });

  it('rejects with the abort reason when the signal aborts during a wait', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const waiting = waitForReplay(asExecutor(laggingReplica('0/1', null)), '0/2', {
      clock,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await clock.tickAsync(25);
    controller.abort(new Error('gone'));
    expect(((await waiting) as Error).message).toBe('gone');
  });
});

describe('waitForPosition', () => {
  it('returns the head once the store reached the position', async () => {
    const clock = new ManualClock();
    let head = 3;
    const store = { headPosition: async () => head++ };
    const waiting = waitForPosition(store, 6, { clock, pollIntervalMs: 10 });
    await clock.runAllAsync();
    expect(await waiting).toBe(6);
  });

  it('times out with a ReplicaLagError naming the position and how far the store got', async () => {
    const clock = new ManualClock();
    const waiting = waitForPosition({ headPosition: async () => 40 }, 42, { clock, timeoutMs: 50 }).catch(
      (e: unknown) => e,
    );
    await clock.runAllAsync();
    const error = await waiting;
    expect(isReplicaLagError(error)).toBe(true);
    expect((error as Error).message).toContain(
      "The replica (the event store's read client) had not reached global position 42 after 50 ms (it was at head position 40, 2 positions behind)",
    );
  });

  it('refuses a position that is not an integer >= 0', async () => {
    const error = await waitForPosition({ headPosition: async () => 0 }, -1).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
  });
});

describe('createPostgresWithReplica', () => {
  it('refuses a readUrl without a url, naming both', async () => {
    const error = await createPostgresWithReplica({ readUrl: 'postgres://127.0.0.1:5433/app' }).catch(
      (e: unknown) => e,
    );
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/readUrl.*needs url/s);
  });

  it('reads from the primary when there is no readUrl, and its waits end at once', async () => {
    // A pool connects lazily: nothing is asked of this closed port.
    const db = await createPostgresWithReplica({ url: 'postgres://127.0.0.1:1/app' });
    try {
      expect(db.hasReplica).toBe(false);
      expect(db.replica).toBe(db.primary);
      await expect(db.waitForReplica(undefined, { timeoutMs: 0 })).resolves.toBeUndefined();
    } finally {
      await db.close();
      await db.close();
    }
  });
});
