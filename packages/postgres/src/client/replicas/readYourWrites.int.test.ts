import { newId } from '@keel/core';
import { collect } from '@keel/eventsourcing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PostgresEventStore } from '../../eventsourcing/eventStore/postgresEventStore.js';
import { migrate } from '../../migrations/migrate.js';
import { createPostgresWithReplica } from './createPostgresWithReplica.js';
import type { PostgresWithReplica } from './createPostgresWithReplica.js';
import { isReplicaLagError } from '../../errors.js';
import { createReplicaPair, replicaToolsAvailable } from './replicaPair.fixture.js';
import type { ReplicaPair } from './replicaPair.fixture.js';
import { primaryLsn, waitForPosition, waitForReplay } from './replicaWait.js';

const available = await replicaToolsAvailable();
const SCHEMA = 'keel_ryw';

describe.runIf(available)('read-your-writes on a streaming replica', () => {
  let pair: ReplicaPair;
  let db: PostgresWithReplica;
  let store: PostgresEventStore;

  beforeAll(async () => {
    pair = await createReplicaPair();
    db = await createPostgresWithReplica({ url: pair.primaryUrl, readUrl: pair.replicaUrl });
    await migrate(db.primary, { schema: SCHEMA });
    store = new PostgresEventStore(db.primary, {
      schema: SCHEMA,
      readClient: db.replica,
      pollIntervalMs: 50,
    });
    await db.waitForReplica(undefined, { timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await pair?.destroy();
  }, 60_000);

  /** Runs `fn` while the replica applies no WAL (it still receives it), then resumes replay. */
  async function withReplayPaused<T>(fn: () => Promise<T>): Promise<T> {
    await db.replica.query('SELECT pg_wal_replay_pause()');
    try {
      return await fn();
    } finally {
      await db.replica.query('SELECT pg_wal_replay_resume()');
    }
  }

  const placed = (n: number) => [{ eventId: newId(), type: 'Placed', data: { n } }];
  const replayedUpTo = async (lsn: string): Promise<boolean> =>
    (await db.replica.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]))
      .rows[0]!.ok;

  it('serves global reads from the replica, which lags while replay is paused', async () => {
    await withReplayPaused(async () => {
      const { lastPosition } = await store.appendToStream('lag-1', placed(1));
      expect((await collect(store.readStream('lag-1'))).map((e) => e.globalPosition)).toEqual([lastPosition]);
      expect(await collect(store.readAll({ fromPosition: lastPosition }))).toEqual([]);
      expect(await store.headPosition()).toBeLessThan(lastPosition);
    });
  });

  it('times out waitForReplay with a ReplicaLagError naming the position, the replica and the wait', async () => {
    await withReplayPaused(async () => {
      await store.appendToStream('lag-2', placed(2));
      const lsn = await db.primaryLsn();
      const error = await waitForReplay(db.replica, lsn, { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(isReplicaLagError(error)).toBe(true);
      expect((error as Error).message).toContain(
        `The replica (127.0.0.1:${pair.replicaPort}) had not reached WAL position ${lsn} after 300 ms`,
      );
      expect((error as Error).message).toMatch(/bytes of WAL behind/);
      expect(await replayedUpTo(lsn)).toBe(false);
    });
  });

  it('keeps waitForReplay waiting while replay is paused and resolves once it resumes', async () => {
    const { lastPosition } = await db.replica
      .query('SELECT pg_wal_replay_pause()')
      .then(() => store.appendToStream('lag-3', placed(3)));
    const lsn = await db.primaryLsn();
    let done = false;
    const waiting = waitForReplay(db.replica, lsn, { timeoutMs: 30_000 }).then(() => (done = true));
    try {
      // Many polls pass while the replica has the WAL but does not apply it: the wait holds.
      for (let i = 0; i < 20; i++) expect(await replayedUpTo(lsn)).toBe(false);
      expect(done).toBe(false);
    } finally {
      await db.replica.query('SELECT pg_wal_replay_resume()');
    }
    await waiting;
    expect(await replayedUpTo(lsn)).toBe(true);
    const seen = await collect(store.readAll({ fromPosition: lastPosition }));
    expect(seen.map((e) => e.streamName)).toEqual(['lag-3']);
  });

  it('waits for a global position on the replica store, with a timeout of its own', async () => {
    await withReplayPaused(async () => {
      const { lastPosition } = await store.appendToStream('lag-4', placed(4));
      const error = await waitForPosition(store, lastPosition, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(isReplicaLagError(error)).toBe(true);
      expect((error as Error).message).toContain(
        `had not reached global position ${lastPosition} after 200 ms`,
      );
    });
    const { lastPosition } = await store.appendToStream('lag-5', placed(5));
    expect(await waitForPosition(store, lastPosition, { timeoutMs: 20_000 })).toBeGreaterThanOrEqual(
      lastPosition,
    );
    expect((await collect(store.readAll({ fromPosition: lastPosition }))).map((e) => e.streamName)).toEqual([
      'lag-5',
    ]);
  });

  it('ends a wait when its signal aborts, with the abort reason', async () => {
    await withReplayPaused(async () => {
      await store.appendToStream('lag-6', placed(6));
      const controller = new AbortController();
      const waiting = db.waitForReplica(undefined, { timeoutMs: 30_000, signal: controller.signal });
      controller.abort(new Error('the user left'));
      await expect(waiting).rejects.toThrow('the user left');
    });
  });

  it('makes an append visible on the replica after waitForReplica, every time', async () => {
    const lags: number[] = [];
    for (let n = 0; n < 50; n++) {
      const { lastPosition } = await store.appendToStream(`ryw-${n}`, placed(n));
      const started = performance.now();
      await db.waitForReplica();
      lags.push(performance.now() - started);
      const { rows } = await db.replica.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${SCHEMA}.events WHERE global_position = $1`,
        [lastPosition],
      );
      expect(rows[0]!.n).toBe(1);
    }
    lags.sort((a, b) => a - b);
    console.info(
      `[figures] read-your-writes wait after an append (50 appends): median ${lags[25]!.toFixed(1)} ms, max ${lags[49]!.toFixed(1)} ms`,
    );
  });

  it('covers commits made with synchronous_commit = off when asked to', async () => {
    await db.primary.exec(`CREATE TABLE ${SCHEMA}.notes (id int PRIMARY KEY)`);
    for (let id = 1; id <= 20; id++) {
      await db.primary.transaction(async (tx) => {
        await tx.exec('SET LOCAL synchronous_commit = off');
        await tx.query(`INSERT INTO ${SCHEMA}.notes VALUES ($1)`, [id]);
      });
      await waitForReplay(db.replica, await primaryLsn(db.primary, { unflushedCommits: true }));
      const { rows } = await db.replica.query(`SELECT id FROM ${SCHEMA}.notes WHERE id = $1`, [id]);
      expect(rows).toEqual([{ id }]);
    }
  });

  it('runs the guide example as written against the primary and its replica', async () => {
    vi.stubEnv('KEEL_PG_URL', pair.primaryUrl);
    vi.stubEnv('KEEL_PG_READ_URL', pair.replicaUrl);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const { shutdown } = await import('../../readme/replicas.snippet.js');
      await shutdown();
      expect(log.mock.calls.map((call) => call[0])).toEqual([['OrderPlaced'], [{ total: 42 }]]);
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    }
  });
});
