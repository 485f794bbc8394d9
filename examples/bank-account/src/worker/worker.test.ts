import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

// Real child processes on embedded PGlite: every wait below is bounded, none is asserted.
describe('pnpm worker on embedded PGlite, as a child process', { timeout: 120_000 }, () => {
  let folder: string;
  let dataDir: string;
  let worker: WorkerProcess;

  /** Opens the worker's PGlite folder in this process (only while no worker runs: one process at a time). */
  async function withDatabase<TResult>(
    work: (database: WorkerDatabase) => Promise<TResult>,
  ): Promise<TResult> {
    const database = await openWorkerDatabase({ url: '', dataDir, schema: 'keel' });
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  }

  function startWorker(): WorkerProcess {
    return new WorkerProcess({
      KEEL_PG_URL: '',
      KEEL_DATA_DIR: dataDir,
      KEEL_HEARTBEAT_MS: '100',
      KEEL_STOP_DEADLINE_MS: '5000',
    });
  }

  /** Waits until the worker's projection has handled every event in the store. */
  async function caughtUp(process: WorkerProcess): Promise<void> {
    await process.until(async () => {
      const figures = await process.figures(BALANCES_TABLE_PROJECTION);
      return figures?.lag === 0 && figures.checkpoint > 0 && figures.checkpoint === figures.head;
    }, 'the balances projection to catch up (lag 0)');
  }

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'keel-bank-worker-'));
    dataDir = join(folder, 'pglite');
    await withDatabase(async (database) => {
      await throughAccounts(database, danAndErin);
      await importLegacyCarol(database);
    });
    worker = startWorker();
  }, 120_000);

  afterAll(async () => {
    await worker?.kill();
    await rm(folder, { recursive: true, force: true });
  });

  it('says that opening the embedded database takes a few seconds', async () => {
    await worker.until(() => worker.output.includes('Opening embedded PGlite'), 'the opening line');
    expect(worker.output).toContain(`Opening embedded PGlite in ${dataDir} (takes a few seconds)`);
  });

  it('answers /readyz with 200 and the health report once its projection daemon runs', async () => {
    await worker.until(async () => (await worker.probe('/readyz')).status === 200, '/readyz to answer 200');
    const { report } = await worker.probe('/readyz');
    expect(report).toMatchObject({ status: 'pass', ready: true, healthy: true });
    expect(report.workers['projections']).toMatchObject({ status: 'running', ready: true });
  });

  it('answers /healthz with 200 while it runs', async () => {
    const answer = await worker.probe('/healthz');
    expect([answer.status, answer.report.healthy]).toEqual([200, true]);
  });

  it('answers a path that is not a probe with 404', async () => {
    expect((await worker.probe('/balances')).status).toBe(404);
  });

  it('projects every stored event, the legacy v1 deposit included, until the lag is 0', async () => {
    await caughtUp(worker);
    const figures = await worker.figures(BALANCES_TABLE_PROJECTION);
    expect([figures?.checkpoint, figures?.head]).toEqual([7, 7]); // Dan 3, Erin 2, Carol 2 events
  });

  it('stops gracefully on SIGTERM and exits with code 0', async () => {
    const exit = await worker.terminate();
    expect(exit).toEqual({ code: 0, signal: null });
    const log = worker.output;
    expect(log).toContain('SIGTERM: stopping gracefully');
    expect(log).toContain('Workers stopped: batches committed, leases released.');
    expect(log.indexOf('Workers stopped')).toBeLessThan(log.indexOf('Stopped cleanly.'));
  });

  it('leaves a balances table equal to a fresh rebuild of the read model from the log', async () => {
    const [table, rebuilt] = await withDatabase(async (database) => [
      await readBalancesTable(database.client, 'keel'),
      await rebuiltBalances(database.store),
    ]);
    expect(table.map((row) => [row.owner, row.balanceCents])).toEqual([
      ['Carol', 12_50],
      ['Dan', 20_00],
      ['Erin', 8_00],
    ]);
    expect(table).toEqual(rebuilt);
  });

  it('resumes from its checkpoint after a restart: applies the new events and replays none of the old', async () => {
    await withDatabase(async (database) => {
      await throughAccounts(database, danLeaves);
      // Carol has no new events: a replay from zero would bring her deleted row back.
      await database.client.query(`DELETE FROM keel.account_balances WHERE account_id = 'carol'`);
    });
    worker = startWorker();
    await caughtUp(worker);
    expect(await worker.terminate()).toEqual({ code: 0, signal: null });
    const [table, rebuilt] = await withDatabase(async (database) => [
      await readBalancesTable(database.client, 'keel'),
      await rebuiltBalances(database.store),
    ]);
    expect(table.map((row) => [row.owner, row.balanceCents, row.closed])).toEqual([
      ['Dan', 0, true],
      ['Erin', 8_00, false],
    ]);
    expect(table).toEqual(rebuilt.filter((row) => row.accountId !== 'carol'));
  });
});

describe('pnpm worker stopped while it starts', { timeout: 120_000 }, () => {
  let folder: string;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'keel-bank-worker-'));
  });

  afterAll(async () => {
    await worker?.kill();
    await rm(folder, { recursive: true, force: true });
  });

  it('exits with code 0 on SIGTERM sent while the database opens', async () => {
    worker = new WorkerProcess({ KEEL_PG_URL: '', KEEL_DATA_DIR: join(folder, 'pglite') });
    await worker.until(() => worker!.output.includes('Opening embedded PGlite'), 'the opening line');
    expect(await worker.terminate()).toEqual({ code: 0, signal: null });
    expect(worker.output).toContain('SIGTERM: stopping gracefully');
    expect(worker.output).toContain('Stopped cleanly.');
  });
});
