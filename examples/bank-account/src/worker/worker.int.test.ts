import { quoteIdentifier } from '@keel/postgres';
import { serviceAvailable, serviceUrl, uniqueName } from '@keel/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BALANCES_TABLE_PROJECTION, readBalancesTable } from './balancesTable.js';
import {
  danAndErin,
  danLeaves,
  importLegacyCarol,
  rebuiltBalances,
  throughAccounts,
} from './bankTraffic.fixture.js';
import { openWorkerDatabase } from './database.js';
import type { WorkerDatabase } from './database.js';
import { WorkerProcess } from './workerProcess.fixture.js';

// With KEEL_REQUIRE_SERVICES=1 an unreachable server fails this file instead of skipping it.
const pgUp = await serviceAvailable('postgres');

// The deployment shape: the bank writes from this process while worker processes project.
describe.runIf(pgUp)(
  'pnpm worker on a PostgreSQL server, next to a writer and a standby',
  { timeout: 120_000 },
  () => {
    const schema = uniqueName('bank_worker');
    const workers: WorkerProcess[] = [];
    let database: WorkerDatabase;

    function startWorker(): WorkerProcess {
      const worker = new WorkerProcess({
        KEEL_PG_URL: serviceUrl('postgres'),
        KEEL_PG_SCHEMA: schema,
        KEEL_HEARTBEAT_MS: '100',
        KEEL_STOP_DEADLINE_MS: '5000',
      });
      workers.push(worker);
      return worker;
    }

    /** Waits until `worker` owns the projection and has handled every event appended so far. */
    async function caughtUp(worker: WorkerProcess): Promise<void> {
      const head = await database.store.headPosition();
      await worker.until(async () => {
        const figures = await worker.figures(BALANCES_TABLE_PROJECTION);
        return figures?.owned === true && figures.checkpoint === head && figures.lag === 0;
      }, `the balances projection to reach position ${head} with lag 0`);
    }

    async function ready(worker: WorkerProcess): Promise<void> {
      await worker.until(async () => (await worker.probe('/readyz')).status === 200, '/readyz to answer 200');
    }

    beforeAll(async () => {
      database = await openWorkerDatabase({ url: serviceUrl('postgres'), dataDir: '', schema });
    });

    afterAll(async () => {
      await Promise.all(workers.map((worker) => worker.kill()));
      await database?.client.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await database?.close();
    });

    it('projects events appended by another process while it runs', async () => {
      const first = startWorker();
      await ready(first);
      await throughAccounts(database, danAndErin);
      await importLegacyCarol(database);
      await caughtUp(first);
      const table = await readBalancesTable(database.client, schema);
      expect(table.map((row) => [row.owner, row.balanceCents])).toEqual([
        ['Carol', 12_50],
        ['Dan', 20_00],
        ['Erin', 8_00],
      ]);
      expect(table).toEqual(await rebuiltBalances(database.store));
    });

    it('hands the projection to a standby process when the owner stops on SIGTERM', async () => {
      const [owner, standby] = [workers[0]!, startWorker()];
      await ready(standby);
      expect((await standby.figures(BALANCES_TABLE_PROJECTION))?.owned).toBe(false);
      expect(await owner.terminate()).toEqual({ code: 0, signal: null });
      await throughAccounts(database, danLeaves);
      await caughtUp(standby);
      const table = await readBalancesTable(database.client, schema);
      expect(table.find((row) => row.owner === 'Dan')).toMatchObject({ balanceCents: 0, closed: true });
      expect(table).toEqual(await rebuiltBalances(database.store));
      expect(owner.output).toContain('Workers stopped: batches committed, leases released.');
    });

    it('exits with code 0 on SIGTERM when it was the standby that took over', async () => {
      const exit = await workers[1]!.terminate();
      expect(exit).toEqual({ code: 0, signal: null });
      expect(workers[1]!.output).toContain('Stopped cleanly.');
    });
  },
);
