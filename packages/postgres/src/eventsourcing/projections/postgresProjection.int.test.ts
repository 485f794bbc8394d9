import { ProjectionRunner } from '@keel/eventsourcing';
import { numbered } from '@keel/eventsourcing/testing';
import { serviceAvailable } from '@keel/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../client/sqlClient.js';
import { PostgresEventStore } from '../eventStore/postgresEventStore.js';
import { createTestPg, dropSchemas, freshSchema } from '../../internal/testDatabase.fixture.js';
import { definePostgresProjection } from './postgresProjection.js';
import { CountingReadModel, postgresProjectionBehaviour } from './postgresProjection.suite.js';
import { PostgresProjectionCheckpoints } from './postgresProjectionCheckpoints.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('PostgreSQL projections on a real server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg(6);
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

  postgresProjectionBehaviour('on PostgreSQL', fresh);

  it('applies every event exactly once when the server kills the session of a batch mid-transaction', async () => {
    const { schema } = await fresh();
    const store = new PostgresEventStore(client, { schema, notify: false });
    for (let index = 0; index < 8; index++) await store.appendToStream(`s-${index}`, numbered(10));
    const model = new CountingReadModel(schema);
    await model.create(client);
    const runnerClient = createTestPg(2);
    let batches = 0;
    const projection = definePostgresProjection<{ type: 'Numbered'; data: { n: number } }>({
      name: 'killed',
      handleBatch: async (events, { tx }) => {
        await model.apply(
          tx,
          events.map((event) => event.globalPosition),
        );
        if (++batches === 2) {
          const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await client.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await tx.query('SELECT 1'); // the session is gone: the batch never commits
        }
      },
    });
    try {
      const runner = new ProjectionRunner(store, projection, {
        checkpoints: new PostgresProjectionCheckpoints(runnerClient, { schema }),
        batchSize: 16,
      });
      expect(await runner.catchUp()).toBe(80);
      expect(batches).toBeGreaterThan(2);
      expect(await model.anomalies(client, 80)).toEqual([]);
    } finally {
      await runnerClient.close();
    }
  });
});
