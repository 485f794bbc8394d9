import type { Server } from 'node:http';
import { runWorkers } from '@keel/core';
import type { HealthReport, Worker, WorkerHealth, WorkerHost, WorkerStatus } from '@keel/core';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, createProbeServer, listen, startingReport } from './probes.js';

/** A promise with its resolve function: holds a worker's start or stop until the test opens it. */
function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A worker whose start and stop wait for gates the test opens. */
class GatedWorker implements Worker {
  readonly name = 'projections';
  readonly starting = gate();
  readonly stopping = gate();
  #status: WorkerStatus = 'idle';

  async start(): Promise<void> {
    this.#status = 'starting';
    await this.starting.opened;
    this.#status = 'running';
  }

  async stop(): Promise<void> {
    this.#status = 'stopping';
    await this.stopping.opened;
    this.#status = 'stopped';
  }

  health(): WorkerHealth {
    const active = this.#status === 'starting' || this.#status === 'running';
    return { name: this.name, status: this.#status, healthy: active, ready: this.#status === 'running' };
  }
}

describe('the probe server', () => {
  let server: Server | undefined;
  let host: WorkerHost | undefined;
  const gated: GatedWorker[] = [];

  afterEach(async () => {
    if (server !== undefined) await closeServer(server);
    for (const worker of gated.splice(0)) [worker.starting, worker.stopping].forEach((each) => each.open());
    await host?.stop({ deadline: 0 }).catch(() => undefined);
    server = host = undefined;
  });

  /** Serves `report` on a free port and returns a function that calls a path. */
  async function serve(report: () => HealthReport) {
    server = createProbeServer(report);
    const port = await listen(server, 0, '127.0.0.1');
    return async (path: string, method = 'GET') => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as HealthReport) };
    };
  }

  it('answers /readyz with 503 and /healthz with 200 while the database opens', async () => {
    const call = await serve(() => startingReport(Date.UTC(2026, 0, 1), 'opening embedded PGlite'));
    const [ready, live] = [await call('/readyz'), await call('/healthz')];
    expect([ready.status, live.status]).toEqual([503, 200]);
    expect(ready.body?.workers['service']?.details).toEqual({ phase: 'opening embedded PGlite' });
  });

  it('answers /readyz with 503 until every worker has started, then 200', async () => {
    const worker = new GatedWorker();
    gated.push(worker);
    const running = runWorkers([worker]);
    host = running;
    const call = await serve(() => running.healthReport());
    expect((await call('/readyz')).status).toBe(503);
    expect((await call('/healthz')).status).toBe(200);
    worker.starting.open();
    await running.whenStarted();
    const ready = await call('/readyz');
    expect([ready.status, ready.body?.status]).toEqual([200, 'pass']);
  });

  it('answers /readyz with 503 as soon as a stop has begun, while in-flight work finishes', async () => {
    const worker = new GatedWorker();
    gated.push(worker);
    worker.starting.open();
    const running = runWorkers([worker]);
    host = running;
    await running.whenStarted();
    const call = await serve(() => running.healthReport());
    const stopped = running.stop({ deadline: 10_000 });
    const ready = await call('/readyz');
    expect([ready.status, ready.body?.workers['projections']?.status]).toEqual([503, 'stopping']);
    worker.stopping.open();
    await stopped;
  });

  it('answers /healthz with 503 when a worker could not start', async () => {
    const broken: Worker = {
      name: 'projections',
      start: () => Promise.reject(new Error('database refused the connection')),
      stop: () => Promise.resolve(),
      health: () => ({ name: 'projections', status: 'idle', healthy: true, ready: false }),
    };
    const failed = runWorkers([broken]);
    host = failed;
    await failed.whenStarted().catch(() => undefined);
    const call = await serve(() => failed.healthReport());
    const live = await call('/healthz');
    expect([live.status, live.body?.workers['projections']?.error]).toEqual([
      503,
      'database refused the connection',
    ]);
  });

  it('answers HEAD with the status and no body', async () => {
    const call = await serve(() => startingReport(0, 'opening'));
    expect(await call('/healthz', 'HEAD')).toEqual({ status: 200, body: undefined });
  });

  it('refuses other methods on a probe with 405', async () => {
    const call = await serve(() => startingReport(0, 'opening'));
    expect((await call('/readyz', 'POST')).status).toBe(405);
  });

  it('answers 503 with the error when the report cannot be made', async () => {
    const call = await serve(() => {
      throw new Error('no report');
    });
    expect((await call('/readyz')).status).toBe(503);
  });
});
