import { serviceAvailable } from '@keel/test-services';
import { processStoreContract, sagaRecordFixture, sagaStoreContract } from '@keel/saga/testing';
import { ManualClock } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPg, dropSchemas, freshSchema } from '../internal/testDatabase.fixture.js';
import { PostgresProcessStore } from './postgresProcessStore.js';
import { PostgresSagaStore } from './postgresSagaStore.js';
import { countingSaga, orchestratorFor } from './sagaScenario.fixture.js';

const up = await serviceAvailable('postgres');

describe.runIf(up)('saga stores on a real PostgreSQL server', () => {
  const schemas: string[] = [];
  let client: SqlClient;
  beforeAll(() => {
    client = createTestPg();
  });
  afterAll(async () => {
    await dropSchemas(client, schemas);
    await client.close();
  });
  const schema = async (): Promise<string> => {
    const name = await freshSchema(client);
    schemas.push(name);
    return name;
  };

  sagaStoreContract(
    'PostgresSagaStore on PostgreSQL',
    async () => new PostgresSagaStore(client, { schema: await schema() }),
  );
  processStoreContract(
    'PostgresProcessStore on PostgreSQL',
    async () => new PostgresProcessStore(client, { schema: await schema() }),
  );

  it('lets several orchestrators recover at once, running every unfinished saga exactly once', async () => {
    const store = new PostgresSagaStore(client, { schema: await schema() });
    for (let index = 0; index < 12; index++) {
      const sagaId = `s-${String(index).padStart(2, '0')}`;
      await store.create(sagaRecordFixture({ sagaId, input: { orderId: sagaId }, createdAt: index }));
    }
    const clock = new ManualClock(0);
    const { saga, runs } = countingSaga();
    const orchestrators = ['a', 'b', 'c'].map((owner) => orchestratorFor(store, saga, clock, owner));
    const reports = await Promise.all(orchestrators.map((orchestrator) => orchestrator.recover()));
    expect(reports.flatMap((report) => report.outcomes.map((outcome) => outcome.sagaId)).sort()).toHaveLength(
      12,
    );
    expect(runs.size).toBe(24);
    expect([...runs.values()].every((times) => times === 1)).toBe(true);
    expect(await store.list({ status: 'completed' })).toHaveLength(12);
    await Promise.all(orchestrators.map((orchestrator) => orchestrator.close()));
  });
});
