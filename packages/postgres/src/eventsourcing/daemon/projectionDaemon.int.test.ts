import { ManualClock } from '@keel/core';
import { numbered } from '@keel/eventsourcing/testing';
import { serviceAvailable, serviceUrl } from '@keel/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromPgPool } from '../../client/pgPoolClient.js';
import type { SqlClient } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { CountingProjection } from './countingProjection.fixture.js';
import { eventually, nextHeartbeat } from './daemon.fixture.js';
import { leasesBehaviour } from '../../leases/leases.suite.js';
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
