import { isKeelError, newId } from '@keel/core';
import { ANY } from '@keel/eventsourcing';
import type { RecordedEvent } from '@keel/eventsourcing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnreachableError } from '../../errors.js';
import { fromPgPool } from '../pgPoolClient.js';
import { isSqlError } from '../../errors.js';
import { PostgresEventStore } from '../../eventsourcing/eventStore/postgresEventStore.js';
import { migrate } from '../../migrations/migrate.js';
import { CountingProjection } from '../../eventsourcing/daemon/countingProjection.fixture.js';
import { ProjectionDaemon } from '../../eventsourcing/daemon/projectionDaemon.js';
import { createPostgresWithReplica } from './createPostgresWithReplica.js';
import type { PostgresWithReplica } from './createPostgresWithReplica.js';
import { createReplicaPair, replicaToolsAvailable } from './replicaPair.fixture.js';
import { waitForPosition } from './replicaWait.js';
import type { ReplicaPair } from './replicaPair.fixture.js';

const available = await replicaToolsAvailable();
const SCHEMA = 'keel_restart';
const BATCHES = 400;
const PER_BATCH = 3;
const WRITERS = 4;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(available)('a primary restart under a writer and a replica subscription', () => {
  let pair: ReplicaPair;
  let db: PostgresWithReplica;

  beforeAll(async () => {
    pair = await createReplicaPair();
    db = await createPostgresWithReplica({ url: pair.primaryUrl, readUrl: pair.replicaUrl });
    await migrate(db.primary, { schema: SCHEMA });
    await db.waitForReplica(undefined, { timeoutMs: 30_000 });
  }, 120_000);

  /** How many backends of `application_name` wait on a lock. */
  const waitingOnLock = async (application: string): Promise<number> =>
    (
      await db.primary.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1",
        [application],
      )
    ).rows[0]!.n;

  afterAll(async () => {
    await db?.close();
    await pair?.destroy();
  }, 60_000);

  it('fails appends during the outage with a clear error, then appends again; a subscription and a projection daemon on the replica see every event once, in order', async () => {
    const store = new PostgresEventStore(db.primary, {
      schema: SCHEMA,
      readClient: db.replica,
      pollIntervalMs: 50,
    });
    const ids = Array.from({ length: BATCHES }, () => Array.from({ length: PER_BATCH }, () => newId()));
    const failures: unknown[] = [];
    let done = 0;

    // Each batch is retried with the same event ids until it is recorded: an append whose commit
    // was cut off is either recorded once (the retry is a no-op) or not at all (the retry adds it).
    const appendBatch = async (b: number): Promise<void> => {
      const events = ids[b]!.map((eventId, k) => ({ eventId, type: 'Ticked', data: { b, k } }));
      for (;;) {
        try {
          await store.appendToStream(`restart-${b % WRITERS}`, events, { expectedVersion: ANY });
          done++;
          return;
        } catch (error) {
          failures.push(error);
          await pause(25);
        }
      }
    };
    // Several writers with no pause, so some appends are in flight when the server goes down.
    const writer = Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let b = w; b < BATCHES; b += WRITERS) await appendBatch(b);
      }),
    );

    const controller = new AbortController();
    const seen: RecordedEvent[] = [];
    const subscriber = (async () => {
      for await (const event of store.subscribeToAll({ signal: controller.signal })) {
        seen.push(event);
        if (seen.length === BATCHES * PER_BATCH) return;
      }
    })().catch((error: unknown) => error);
    // A projection daemon reads the events from the replica and writes its table and checkpoint
    // on the primary, in one transaction per batch.
    const counting = await new CountingProjection(SCHEMA, 'restart').create(db.primary);
    const daemon = new ProjectionDaemon(db.primary, store, [counting.projection], {
      schema: SCHEMA,
      heartbeatMs: 100,
      leaseTtlMs: 1000,
    });
    await daemon.start();
    const pings: string[] = [];
    await db.primary.listen('keel_restart_ping', (payload) => pings.push(payload));

    while (done < BATCHES / 3) await pause(10);
    // An append waiting on a table lock is surely in flight when the server goes down. It has a
    // pool of its own, so it is sent at once (not grouped behind the writers' appends) and its
    // backend can be told apart from theirs.
    const probePool = new pg.Pool({
      connectionString: pair.primaryUrl,
      application_name: 'keel-restart-probe',
      max: 1,
    });
    probePool.on('error', () => undefined);
    const probeStore = new PostgresEventStore(fromPgPool(probePool), { schema: SCHEMA });
    const locker = new pg.Client({ connectionString: pair.primaryUrl });
    locker.on('error', () => undefined);
    await locker.connect();
    await locker.query(`BEGIN; LOCK TABLE ${SCHEMA}.events IN EXCLUSIVE MODE`);
    const probeId = newId();
    const inFlight = probeStore
      .appendToStream('in-flight-probe', [{ eventId: probeId, type: 'Probe', data: {} }])
      .catch((error: unknown) => error);
    await expect.poll(() => waitingOnLock('keel-restart-probe'), { timeout: 10_000 }).toBe(1);
    await pair.stopPrimary();
    const cutOff = await inFlight;
    // The shutdown signals every backend at once: the locker's ends its transaction, and the
    // probe's almost always dies waiting for the lock. Rarely (a busy machine delays the signal
    // to the probe's backend) it gets the lock and commits first; then it reports success and the
    // event is recorded once. Never may it report a failure other than the ended session.
    if (isSqlError(cutOff)) {
      expect(cutOff.message).toMatch(/57P01|terminat/i);
      console.info(`[figures] in-flight append at shutdown: ${cutOff.message.slice(0, 200)}`);
    } else {
      expect(cutOff, String(cutOff)).toMatchObject({ lastPosition: expect.any(Number) });
      console.info('[figures] in-flight append at shutdown: committed before its backend saw the signal');
    }
    await probePool.end().catch(() => undefined);
    await locker.end().catch(() => undefined);
    const stoppedAt = performance.now();
    const during = await store
      .appendToStream('outage-probe', [{ type: 'Probe', data: {} }])
      .catch((error: unknown) => error);
    expect(isDatabaseUnreachableError(during)).toBe(true);
    expect((during as Error).message).toContain(`127.0.0.1:${pair.primaryPort}`);
    // Reads on the replica go on while the primary is down.
    expect(await store.headPosition()).toBeGreaterThan(0);
    await pause(500);
    await pair.startPrimary();
    const startedAt = performance.now();
    const doneAtStart = done;
    while (done === doneAtStart) await pause(5);
    const reconnectMs = performance.now() - startedAt;

    await writer;
    expect(await Promise.race([subscriber, pause(60_000).then(() => 'timed out')])).toBeUndefined();
    controller.abort();

    // The LISTEN connection came back by itself: notifications reach the listener again.
    await expect
      .poll(
        async () => {
          await db.primary.query("SELECT pg_notify('keel_restart_ping', 'after')");
          return pings.includes('after');
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(true);

    const { rows: probes } = await db.primary.query<{ event_id: string }>(
      `SELECT event_id FROM ${SCHEMA}.events WHERE stream_name = 'in-flight-probe'`,
    );
    // Recorded once if it reported success; at most once if its session ended (the server may
    // have committed it just before).
    if (isSqlError(cutOff)) expect(probes.length).toBeLessThanOrEqual(1);
    else expect(probes.map((row) => row.event_id)).toEqual([probeId]);
    const positions = seen.map((event) => event.globalPosition);
    try {
      await expect
        .poll(() => counting.count(db.primary), { timeout: 30_000, interval: 100 })
        .toBe(BATCHES * PER_BATCH);
      const { rows } = await db.primary.query<{ position: number; times: number }>(
        `SELECT position, times FROM ${counting.table} ORDER BY position`,
      );
      expect(rows.map((row) => row.position)).toEqual(positions);
      expect(rows.filter((row) => row.times !== 1)).toEqual([]);
    } finally {
      await daemon.stop();
    }
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    expect(seen.map((event) => event.eventId).sort()).toEqual(ids.flat().sort());
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(isDatabaseUnreachableError(failure) || isSqlError(failure), String(failure)).toBe(true);
    }
    console.info(
      `[figures] primary restart: outage ${Math.round(startedAt - stoppedAt)} ms, first append ${Math.round(reconnectMs)} ms after the primary was back, ` +
        `${failures.length} failed appends (${[...new Set(failures.map((f) => (isKeelError(f) ? f.code : String(f))))].join(', ')}), ` +
        `${seen.length}/${BATCHES * PER_BATCH} events seen on the replica, lost 0, duplicated ${positions.length - new Set(positions).size}`,
    );
  }, 120_000);

  it('keeps appending through pg_ctl restart -m fast without a new store, each event recorded once', async () => {
    const store = new PostgresEventStore(db.primary, { schema: SCHEMA, readClient: db.replica });
    const ids = Array.from({ length: 200 }, () => newId());
    let failed = 0;
    let last = 0;
    const writer = (async () => {
      for (const [n, eventId] of ids.entries()) {
        for (;;) {
          try {
            ({ lastPosition: last } = await store.appendToStream('one-step', [
              { eventId, type: 'Ticked', data: { n } },
            ]));
            break;
          } catch {
            failed++;
            await pause(20);
          }
        }
      }
    })();
    await expect.poll(() => last, { timeout: 10_000 }).toBeGreaterThan(0);
    await pair.restartPrimary();
    await writer;
    expect(failed).toBeGreaterThan(0);
    await waitForPosition(store, last, { timeoutMs: 30_000 });
    const { rows } = await db.replica.query<{ event_id: string }>(
      `SELECT event_id FROM ${SCHEMA}.events WHERE stream_name = 'one-step' ORDER BY stream_version`,
    );
    expect(rows.map((row) => row.event_id)).toEqual(ids);
  }, 120_000);
});
