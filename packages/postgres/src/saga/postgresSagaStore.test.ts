import { ManualClock } from '@keel/core';
import {
  CrashingSagaStore,
  isSimulatedCrashError,
  processStoreContract,
  sagaRecordFixture,
  sagaStoreContract,
} from '@keel/saga/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlClient } from '../client/sqlClient.js';
import { createTestPglite, freshSchema } from '../internal/testDatabase.fixture.js';
import { PostgresProcessStore } from './postgresProcessStore.js';
import { PostgresSagaStore } from './postgresSagaStore.js';
import { countingSaga, orchestratorFor } from './sagaScenario.fixture.js';

let client: SqlClient;
beforeAll(async () => {
  client = await createTestPglite();
});
afterAll(() => client.close());

const sagaStore = async (): Promise<PostgresSagaStore> =>
  new PostgresSagaStore(client, { schema: await freshSchema(client) });

sagaStoreContract('PostgresSagaStore on PGlite', sagaStore);
processStoreContract(
  'PostgresProcessStore on PGlite',
  async () => new PostgresProcessStore(client, { schema: await freshSchema(client) }),
);

describe('PostgresSagaStore', () => {
  it('keeps an undefined input apart from a null one, and stores deadline and error', async () => {
    const store = await sagaStore();
    await store.create(sagaRecordFixture({ sagaId: 'u', input: undefined }));
    const error = { name: 'TimeoutError', message: 'late', code: 'TIMEOUT' };
    await store.create(sagaRecordFixture({ sagaId: 'n', input: null, deadlineAt: 9_000, error }));
    expect((await store.get('u'))?.input).toBeUndefined();
    expect(await store.get('n')).toMatchObject({ input: null, deadlineAt: 9_000, error });
  });

  it('resumes a saga after a crash at every write, completing each step once', async () => {
    const writes = await crashFreeWrites();
    for (let atWrite = 1; atWrite <= writes; atWrite++) {
      for (const mode of ['before', 'after'] as const) {
        const store = await sagaStore();
        const clock = new ManualClock(0);
        const { saga, runs } = countingSaga();
        const crashing = new CrashingSagaStore(store, { atWrite, mode });
        const first = orchestratorFor(crashing, saga, clock, 'dies');
        const crash = await first
          .start('order', { orderId: 'o-1' }, { sagaId: 's-1' })
          .catch((e: unknown) => e);
        expect(isSimulatedCrashError(crash)).toBe(true);
        await clock.tickAsync(1_000);
        const survivor = orchestratorFor(store, saga, clock, 'survives');
        await survivor.recover();
        const outcome = await survivor.start('order', { orderId: 'o-1' }, { sagaId: 's-1' });
        expect(outcome.status).toBe('completed');
        const completed = (await store.get('s-1'))?.history.filter((entry) => entry.type === 'stepCompleted');
        expect(completed?.map((entry) => ('step' in entry ? entry.step : ''))).toEqual(['reserve', 'pay']);
        // A step interrupted between its run and its stored completion runs again with the same key.
        expect([...runs.keys()].sort()).toEqual(['s-1/pay', 's-1/reserve']);
        expect([...runs.values()].every((times) => times <= 2)).toBe(true);
        await Promise.all([first.close(), survivor.close()]);
      }
    }
  });
});

async function crashFreeWrites(): Promise<number> {
  const counting = new CrashingSagaStore(await sagaStore());
  const { saga } = countingSaga();
  const orchestrator = orchestratorFor(counting, saga, new ManualClock(0), 'dry-run');
  await orchestrator.start('order', { orderId: 'o-1' }, { sagaId: 's-1' });
  await orchestrator.close();
  return counting.writes;
}
