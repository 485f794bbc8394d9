import { ManualClock } from '@keel/core';
import { numbered } from '@keel/eventsourcing/testing';
import { serviceAvailable, serviceUrl } from '@keel/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPgPool } from '../../client/pgPoolClient.js';
import type { SqlClient } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { CountingProjection, gate } from './countingProjection.fixture.js';
import { eventually, nextHeartbeat } from './daemon.fixture.js';
import { leasesBehaviour } from '../../leases/leases.suite.js';
import { PostgresLeases } from '../../leases/postgresLeases.js';
import { ProjectionDaemon } from './projectionDaemon.js';
import { projectionDaemonBehaviour } from './projectionDaemon.suite.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('workers on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(8);
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });
  const fresh = async () => {
    const schema = await freshSchema(client);
    schemas.push(schema);
    return { client, schema };
  };

  leasesBehaviour('on PostgreSQL', fresh);
  projectionDaemonBehaviour('on PostgreSQL', fresh);

  /**
   * Resolves once a statement on `schema` waits for a lock (seen in pg_stat_activity), polling
   * until `until` settles; then resolves `undefined`. What a test races a call against, to tell
   * "completed" from "blocked" without timing it.
   */
  async function lockWaitOn(
    schema: string,
    until: Promise<unknown>,
  ): Promise<'waits for a lock' | undefined> {
    let settled = false;
    void until.finally(() => (settled = true)).catch(() => undefined);
    while (!settled) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'`,
        [schema],
      );
      if ((rows[0]?.n ?? 0) > 0) return 'waits for a lock';
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return undefined;
  }

  it('renews a lease while a write under it holds the fence', async () => {
    const { schema } = await fresh();
    const clock = new ManualClock(1_000);
    const leases = new PostgresLeases(client, { schema, ttlMs: 100, clock });
    const lease = (await leases.tryAcquire('p', 'a'))!;
    await client.transaction(async (tx) => {
      await leases.assertHeld(tx, lease);
      clock.advance(50);
      const renewal = leases.renew(lease).then((renewed) => renewed.expiresAt);
      expect(await Promise.race([renewal, lockWaitOn(schema, renewal)])).toBe(1_150);
    });
  });

  it('keeps a taker out, without waiting, while a write of the expired owner is in flight', async () => {
    const { schema } = await fresh();
    const clock = new ManualClock(1_000);
    const leases = new PostgresLeases(client, { schema, ttlMs: 100, clock });
    const lease = (await leases.tryAcquire('p', 'a'))!;
    clock.advance(500);
    await client.transaction(async (tx) => {
      await leases.assertHeld(tx, lease);
      const taking = leases.tryAcquire('p', 'b').then((taken) => taken ?? 'refused');
      expect(await Promise.race([taking, lockWaitOn(schema, taking)])).toBe('refused');
    });
    expect(await leases.tryAcquire('p', 'b')).toMatchObject({ owner: 'b', token: lease.token + 1 });
  });

  it('renews every lease of a daemon while one of its batches is held open', async () => {
    const { schema } = await fresh();
    const entered = gate();
    const held = gate();
    const slow = await new CountingProjection(schema, 'slow', {
      beforeBatch: async () => {
        entered.open();
        await held.opened;
      },
    }).create(client);
    const other = await new CountingProjection(schema, 'other').create(client);
    const clock = new ManualClock();
    const store = new PostgresEventStore(client, { schema, pollIntervalMs: 20 });
    const daemon = new ProjectionDaemon(client, store, [slow.projection, other.projection], {
      schema,
      ownerId: 'a',
      clock,
      heartbeatMs: 100,
      leaseTtlMs: 300,
    });
    try {
      await daemon.start();
      await store.appendToStream('s-1', numbered(1));
      await entered.opened;
      for (let beat = 0; beat < 4; beat++) {
        const beaten = nextHeartbeat(daemon, clock, 100).then(() => 'renewed');
        expect(await Promise.race([beaten, lockWaitOn(schema, beaten)])).toBe('renewed');
      }
      const holders = await new PostgresLeases(client, { schema }).holders([
        'projection:slow',
        'projection:other',
      ]);
      for (const holder of holders.values())
        expect(holder).toMatchObject({ owner: 'a', expiresAt: clock.now() + 300 });
    } finally {
      held.open();
      await daemon.stop();
    }
  });

  it('cancels a batch statement blocked in the database once the stop deadline passed, and releases', async () => {
    const { schema } = await fresh();
    const entered = gate();
    const key = Math.floor(Math.random() * 1e9);
    const blocked = await new CountingProjection(schema, 'blocked', {
      beforeBatch: async (_positions, _signal, tx) => {
        entered.open();
        await tx.query('SELECT pg_advisory_xact_lock($1)', [key]); // held by the test below
      },
    }).create(client);
    const clock = new ManualClock();
    const store = new PostgresEventStore(client, { schema, pollIntervalMs: 20 });
    const daemon = new ProjectionDaemon(client, store, [blocked.projection], {
      schema,
      ownerId: 'a',
      clock,
      heartbeatMs: 100,
      leaseTtlMs: 300,
    });
    await client.transaction(async (holder) => {
      await holder.query('SELECT pg_advisory_xact_lock($1)', [key]);
      await daemon.start();
      await store.appendToStream('s-1', numbered(1));
      await entered.opened;
      let stopped = false;
      const stopping = daemon.stop({ deadline: 1_000 }).then(() => (stopped = true));
      await eventually(async () => {
        await clock.tickAsync(100);
        return stopped;
      }, 'stopped once the deadline passed, while the lock is still held');
      await stopping;
    });
    expect(await blocked.count(client)).toBe(0);
    const holders = await new PostgresLeases(client, { schema }).holders(['projection:blocked']);
    expect(holders.get('projection:blocked')?.owner).toBeUndefined();
  });

  it('takes over from an owner whose connections were killed and continues from its checkpoint', async () => {
    const { schema } = await fresh();
    const application = `keel_daemon_${schema}`;
    const processClient = (name: string) => {
      const pool = new pg.Pool({ connectionString: serviceUrl('postgres'), max: 3, application_name: name });
      pool.on('error', () => {}); // idle connections killed by the test
      return fromPgPool(pool);
    };
    const aClient = processClient(application);
    const bClient = processClient(`${application}_b`);
    const entry = await new CountingProjection(schema, 'p').create(client);
    const daemon = (own: SqlClient, ownerId: string, clock: ManualClock) =>
      new ProjectionDaemon(
        own,
        new PostgresEventStore(own, { schema, pollIntervalMs: 20 }),
        [entry.projection],
        {
          schema,
          ownerId,
          clock,
          heartbeatMs: 100,
          leaseTtlMs: 300,
        },
      );
    const [aClock, bClock] = [new ManualClock(), new ManualClock()];
    const a = daemon(aClient, 'a', aClock);
    const b = daemon(bClient, 'b', bClock);
    const store = new PostgresEventStore(client, { schema });
    try {
      await a.start();
      await b.start();
      await store.appendToStream('s-1', numbered(20));
      await eventually(async () => (await entry.count(client)) === 20, 'a handled the first events');
      await client.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [application],
      );
      for (let beat = 0; beat < 3; beat++) await nextHeartbeat(b, bClock, 100);
      expect(b.projections()[0]).toMatchObject({ owned: true, owner: 'b', checkpoint: 20 });
      await store.appendToStream('s-2', numbered(20));
      await eventually(async () => (await entry.count(client)) === 40, 'b continued');
      expect(await entry.anomalies(client, 40)).toEqual([]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await Promise.all([aClient.close(), bClient.close()]);
    }
  });
});
