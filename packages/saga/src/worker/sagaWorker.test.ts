import { isValidationError, ManualClock, runWorkers } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { SagaOrchestrator } from '../orchestrator/sagaOrchestrator.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import type { SagaClaimRequest, SagaRecord } from '../store/sagaStore.js';
import { sagaRecordFixture } from '../testing/sagaRecordFixture.js';
import { SagaWorker } from './sagaWorker.js';

const LEASE_MS = 3_000;

/** Lets queued callbacks run a few times over. */
async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A saga of two steps, `a` then `b`, each taking `ms` on the clock; records every call by key. */
function twoSteps(clock: ManualClock, ms: number, calls: string[], failB = false) {
  return defineSaga('order')
    .step('a', {
      run: async ({ idempotencyKey, signal }) => {
        calls.push(idempotencyKey);
        await clock.sleep(ms, signal);
        return 'a-done';
      },
      compensate: ({ idempotencyKey }) => void calls.push(idempotencyKey),
    })
    .step('b', {
      run: async ({ idempotencyKey, signal }) => {
        calls.push(idempotencyKey);
        await clock.sleep(ms, signal);
        if (failB) throw new Error('payment refused');
        return 'b-done';
      },
    });
}

/** Stores a saga as a crashed orchestrator left it: running, its lease held until `leaseUntil`. */
async function crashedSaga(store: InMemorySagaStore, sagaId: string, leaseUntil: number): Promise<void> {
  const created = await store.create(
    sagaRecordFixture({
      sagaId,
      createdAt: 0,
      updatedAt: 0,
      history: [{ type: 'sagaStarted', at: 0 }],
      lease: { owner: 'crashed', until: leaseUntil },
    }),
  );
  expect(created.created).toBe(true);
}

function setup(stepMs: number, options: { failB?: boolean; owner?: string } = {}) {
  const clock = new ManualClock(0);
  const store = new InMemorySagaStore();
  const calls: string[] = [];
  const orchestrator = new SagaOrchestrator(store, [twoSteps(clock, stepMs, calls, options.failB)], {
    clock,
    leaseMs: LEASE_MS,
    owner: options.owner ?? 'worker-1',
  });
  return { clock, store, calls, orchestrator };
}

describe('SagaWorker', () => {
  it('resumes a saga left running by a crashed orchestrator at the first interval after its lease expired', async () => {
    const { clock, store, calls, orchestrator } = setup(100);
    await crashedSaga(store, 's-1', 7_000);
    const worker = new SagaWorker(orchestrator, { recoverEveryMs: 5_000, clock });
    await worker.start();
    await clock.tickAsync(5_000);
    expect(calls).toEqual([]);
    await clock.tickAsync(5_500);
    expect((await store.get('s-1'))?.status).toBe('completed');
    expect(calls).toEqual(['s-1/a', 's-1/b']);
    expect(worker.health()).toMatchObject({
      status: 'running',
      healthy: true,
      ready: true,
      details: { recovered: 1, completed: 1, compensated: 0, failed: 0, interrupted: 0 },
    });
    await worker.stop();
  });

  it('counts a resumed saga that compensates', async () => {
    const { clock, store, orchestrator } = setup(10, { failB: true });
    await crashedSaga(store, 's-1', 0);
    const worker = new SagaWorker(orchestrator, { clock });
    await worker.start();
    await clock.tickAsync(100);
    expect((await store.get('s-1'))?.status).toBe('compensated');
    expect(worker.counts).toMatchObject({ recovered: 1, completed: 0, compensated: 1 });
    await worker.stop();
  });

  it('never runs one saga twice when two workers share a store', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const calls: string[] = [];
    const saga = twoSteps(clock, 1_000, calls);
    const workers = ['one', 'two'].map(
      (owner) =>
        new SagaWorker(new SagaOrchestrator(store, [saga], { clock, leaseMs: LEASE_MS, owner }), {
          name: owner,
          recoverEveryMs: 500,
          clock,
        }),
    );
    for (let i = 0; i < 6; i++) await crashedSaga(store, `s-${i}`, 0);
    for (const worker of workers) await worker.start();
    await clock.tickAsync(10_000);
    const records = await store.list();
    expect(records.map((record) => record.status)).toEqual(Array(6).fill('completed'));
    expect([...calls].sort()).toEqual([...Array(6).keys()].flatMap((i) => [`s-${i}/a`, `s-${i}/b`]).sort());
    const recovered = workers.map((worker) => worker.counts.recovered);
    expect(recovered[0]! + recovered[1]!).toBe(6);
    await Promise.all(workers.map((worker) => worker.stop()));
  });

  it('wakes at once on wake() instead of waiting out the interval', async () => {
    const { clock, store, orchestrator } = setup(10);
    const worker = new SagaWorker(orchestrator, { recoverEveryMs: 60_000, clock });
    await worker.start();
    await settle();
    await crashedSaga(store, 's-1', 0);
    worker.wake();
    await clock.tickAsync(100);
    expect((await store.get('s-1'))?.status).toBe('completed');
    await worker.stop();
  });

  it('reports a failing pass as not ready, with the error, and recovers at the next interval', async () => {
    const clock = new ManualClock(0);
    let down = true;
    const store = new (class extends InMemorySagaStore {
      override claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]> {
        return down ? Promise.reject(new Error('connection refused')) : super.claimUnfinished(request);
      }
    })();
    const orchestrator = new SagaOrchestrator(store, [twoSteps(clock, 10, [])], { clock, leaseMs: LEASE_MS });
    const worker = new SagaWorker(orchestrator, { recoverEveryMs: 1_000, clock });
    await worker.start();
    await settle();
    expect(worker.health()).toMatchObject({ healthy: true, ready: false, error: 'connection refused' });
    expect(worker.counts.passFailures).toBe(1);
    down = false;
    await clock.tickAsync(1_000);
    expect(worker.health().ready).toBe(true);
    expect(worker.health().error).toBeUndefined();
    await worker.stop();
  });
});

describe('SagaWorker.stop', () => {
  it('lets a running saga finish its current step, then stops it for a later recovery', async () => {
    const { clock, store, calls, orchestrator } = setup(2_000);
    await crashedSaga(store, 's-1', 0);
    const worker = new SagaWorker(orchestrator, { clock });
    await worker.start();
    await clock.tickAsync(500);
    expect(calls).toEqual(['s-1/a']);
    const stopping = worker.stop({ deadline: 10_000 });
    expect(worker.health().status).toBe('stopping');
    await clock.tickAsync(1_500);
    await stopping;
    const record = await store.get('s-1');
    expect(record?.status).toBe('running');
    expect(record?.history.map((entry) => entry.type)).toEqual([
      'sagaStarted',
      'stepStarted',
      'stepCompleted',
    ]);
    expect(record?.lease).toBeUndefined();
    expect(calls).toEqual(['s-1/a']);
    expect(worker.health()).toMatchObject({ status: 'stopped', details: { interrupted: 1, completed: 0 } });

    const next = new SagaOrchestrator(store, [twoSteps(clock, 10, calls)], {
      clock,
      leaseMs: LEASE_MS,
      owner: 'next',
    });
    const recovered = next.recover();
    await clock.tickAsync(10);
    await expect(recovered).resolves.toMatchObject({ outcomes: [{ sagaId: 's-1', status: 'completed' }] });
    expect(calls).toEqual(['s-1/a', 's-1/b']);
  });

  it('aborts a step still running when the deadline passes, and releases its lease', async () => {
    const { clock, store, calls, orchestrator } = setup(60_000);
    await crashedSaga(store, 's-1', 0);
    const worker = new SagaWorker(orchestrator, { clock });
    await worker.start();
    await clock.tickAsync(100);
    const stopping = worker.stop({ deadline: 1_000 });
    await clock.tickAsync(1_000);
    await stopping;
    const record = await store.get('s-1');
    expect(record?.status).toBe('running');
    expect(record?.lease).toBeUndefined();
    expect(record?.history.map((entry) => entry.type)).toEqual(['sagaStarted', 'stepStarted']);
    expect(calls).toEqual(['s-1/a']);
    expect(worker.health().status).toBe('stopped');
  });

  it('claims nothing after stop and is idempotent', async () => {
    const { clock, store, orchestrator } = setup(10);
    const worker = new SagaWorker(orchestrator, { recoverEveryMs: 1_000, clock });
    await worker.start();
    await settle();
    const first = worker.stop();
    expect(worker.stop({ deadline: 5 })).toBe(first);
    await first;
    await crashedSaga(store, 's-1', 0);
    worker.wake();
    await clock.tickAsync(5_000);
    expect((await store.get('s-1'))?.status).toBe('running');
    expect(worker.counts.passes).toBe(1);
  });

  it('runs and stops under a worker host', async () => {
    const { clock, store, orchestrator } = setup(10);
    await crashedSaga(store, 's-1', 0);
    const host = runWorkers([new SagaWorker(orchestrator, { clock })], { clock });
    await host.whenStarted();
    await clock.tickAsync(100);
    expect(host.ready()).toBe(true);
    expect(host.healthReport().workers['saga-worker']?.details).toMatchObject({ completed: 1 });
    await host.stop();
    expect(host.status).toBe('stopped');
  });
});

describe('SagaWorker options', () => {
  it('keeps the defaults when options are undefined', async () => {
    const { clock, orchestrator } = setup(10);
    const worker = new SagaWorker(orchestrator, {
      name: undefined,
      recoverEveryMs: undefined,
      maxPasses: undefined,
      clock,
      logger: undefined,
    });
    expect(worker.name).toBe('saga-worker');
    await worker.start();
    await clock.tickAsync(9_999);
    expect(worker.counts.passes).toBe(2);
    await worker.stop();
  });

  it('lists every bad option in one ValidationError', () => {
    let error: unknown;
    try {
      new SagaWorker({} as never, { name: '', recoverEveryMs: 0, maxPasses: 1.5, clock: 'now' as never });
    } catch (caught) {
      error = caught;
    }
    const paths = isValidationError(error) ? error.issues.map((issue) => issue.path.join('.')).sort() : [];
    expect(paths).toEqual(['clock', 'maxPasses', 'name', 'orchestrator', 'recoverEveryMs']);
  });

  it('runs on a clock with only now and setTimeout and a logger with only debug, warn and error', async () => {
    const { clock, orchestrator } = setup(10);
    const noop = (): void => {};
    const worker = new SagaWorker(orchestrator, {
      recoverEveryMs: 1_000,
      clock: {
        now: () => clock.now(),
        setTimeout: (run: () => void, ms: number) => clock.setTimeout(run, ms),
      } as never,
      logger: { debug: noop, warn: noop, error: noop } as never,
    });
    await worker.start();
    await clock.tickAsync(1_000);
    expect(worker.counts.passes).toBe(2);
    await worker.stop();
    expect(() => new SagaWorker(orchestrator, { clock: { now: () => 0 } as never })).toThrow(
      /clock: must be a Clock \(with now, setTimeout\)/,
    );
  });
});
