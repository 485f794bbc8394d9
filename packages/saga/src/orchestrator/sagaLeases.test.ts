import { isCancelledError, ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { isSagaLeaseLostError } from '../errors/errors.js';
import { orderSaga, orderServices, recordingLogger } from './sagaTestKit.fixture.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { CrashingSagaStore, isSimulatedCrashError } from '../testing/crashingSagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

/** A saga whose single step takes `ms` on the clock and counts its runs by key. */
function slowSaga(clock: ManualClock, ms: number, runs: string[]) {
  return defineSaga('slow').step('work', {
    run: async ({ idempotencyKey, signal }) => {
      runs.push(idempotencyKey);
      await clock.sleep(ms, signal);
      return 'done';
    },
  });
}

/** A store whose lease renewals can be made to fail, as a network partition would. */
class PartitionedStore extends InMemorySagaStore {
  partitioned = false;
  override async renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    if (this.partitioned) throw new Error('network unreachable');
    return super.renewLease(sagaId, owner, until);
  }
}

describe('SagaOrchestrator: leases', () => {
  it('renews the lease of a long step so recover() elsewhere leaves it alone', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const runs: string[] = [];
    const saga = slowSaga(clock, 10_000, runs);
    const one = new SagaOrchestrator(store, [saga], { clock, leaseMs: 3_000, owner: 'one' });
    const two = new SagaOrchestrator(store, [saga], { clock, leaseMs: 3_000, owner: 'two' });
    const done = one.start('slow', undefined, { sagaId: 'x' });
    await clock.tickAsync(6_000);
    expect((await two.recover()).outcomes).toEqual([]);
    await clock.tickAsync(4_000);
    expect((await done).status).toBe('completed');
    expect(runs).toEqual(['x/work']);
  });

  it('takes over an expired lease, and the old owner stops when it tries to write', async () => {
    const clock = new ManualClock(0);
    const partitioned = new PartitionedStore();
    const runs: string[] = [];
    const saga = slowSaga(clock, 10_000, runs);
    const logger = recordingLogger();
    const one = new SagaOrchestrator(partitioned, [saga], { clock, leaseMs: 3_000, owner: 'one', logger });
    const two = new SagaOrchestrator(partitioned, [saga], { clock, leaseMs: 3_000, owner: 'two' });
    const first = one.start('slow', undefined, { sagaId: 'x' }).catch((error: unknown) => error);
    await clock.tickAsync(10);
    partitioned.partitioned = true;
    await clock.tickAsync(3_000);
    partitioned.partitioned = false;
    const recovered = two.recover();
    await clock.tickAsync(10_000);
    expect((await recovered).outcomes.map((outcome) => outcome.status)).toEqual(['completed']);
    expect(isSagaLeaseLostError(await first)).toBe(true);
    expect(runs).toEqual(['x/work', 'x/work']);
    const record = await partitioned.get('x');
    expect(record?.history.filter((entry) => entry.type === 'stepCompleted')).toHaveLength(1);
    expect(logger.entries.some((entry) => entry.message.startsWith('Saga lease lost'))).toBe(true);
  });

  it('aborts the running step as soon as a renewal shows the lease was taken over', async () => {
    const clock = new ManualClock(0);
    const partitioned = new PartitionedStore();
    const signals: AbortSignal[] = [];
    const saga = defineSaga('slow').step('work', {
      run: ({ signal }) => {
        signals.push(signal);
        return clock.sleep(60_000, signal);
      },
    });
    const one = new SagaOrchestrator(partitioned, [saga], { clock, leaseMs: 3_000, owner: 'one' });
    const two = new SagaOrchestrator(partitioned, [saga], { clock, leaseMs: 3_000, owner: 'two' });
    const first = one.start('slow', undefined, { sagaId: 'x' }).catch((error: unknown) => error);
    await clock.tickAsync(10);
    partitioned.partitioned = true;
    await clock.tickAsync(3_000);
    void two.recover();
    await clock.tickAsync(10);
    partitioned.partitioned = false;
    await clock.tickAsync(1_000);
    expect(isSagaLeaseLostError(await first)).toBe(true);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[1]?.aborted).toBe(false);
    await two.close();
  });

  it('runs each saga once when two orchestrators recover at the same time', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const services = orderServices();
    const crashing = new CrashingSagaStore(store, { atWrite: 40 });
    const doomed = new SagaOrchestrator(crashing, [orderSaga(services)], {
      clock,
      leaseMs: 1_000,
      owner: 'doomed',
    });
    const ids = Array.from({ length: 12 }, (_, index) => `s-${index}`);
    const starts = await Promise.allSettled(
      ids.map((sagaId) => doomed.start('order', { orderId: sagaId, amount: 1 }, { sagaId })),
    );
    expect(starts.every((start) => start.status === 'rejected' && isSimulatedCrashError(start.reason))).toBe(
      true,
    );
    const unfinished = await store.list({ status: 'running' });
    expect(unfinished.length).toBeGreaterThan(3);
    for (const service of Object.values(services)) service.calls.length = 0;
    await clock.tickAsync(1_000);

    const one = new SagaOrchestrator(store, [orderSaga(services)], {
      clock,
      leaseMs: 1_000,
      owner: 'one',
      recoverBatchSize: 2,
    });
    const two = new SagaOrchestrator(store, [orderSaga(services)], {
      clock,
      leaseMs: 1_000,
      owner: 'two',
      recoverBatchSize: 2,
    });
    const [a, b] = await Promise.all([one.recover(), two.recover()]);

    const recovered = [...a.outcomes, ...b.outcomes].map((outcome) => outcome.sagaId);
    expect(new Set(recovered).size).toBe(recovered.length);
    expect(new Set(recovered)).toEqual(new Set(unfinished.map((record) => record.sagaId)));
    expect(a.outcomes.length).toBeGreaterThan(0);
    expect(b.outcomes.length).toBeGreaterThan(0);
    const calls = Object.values(services).flatMap((service) => service.calls);
    expect(new Set(calls).size).toBe(calls.length);
    expect(await store.list({ status: 'running' })).toEqual([]);
  });

  it('runs each saga once however many orchestrators recover at once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 5, max: 60 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        async (crashAt, workers, batch) => {
          const clock = new ManualClock(0);
          const store = new InMemorySagaStore();
          const services = orderServices();
          const crashing = new CrashingSagaStore(store, { atWrite: crashAt });
          const doomed = new SagaOrchestrator(crashing, [orderSaga(services)], { clock, leaseMs: 1_000 });
          const ids = Array.from({ length: 6 }, (_, index) => `s-${index}`);
          await Promise.allSettled(
            ids.map((sagaId) => doomed.start('order', { orderId: sagaId, amount: 1 }, { sagaId })),
          );
          const unfinished = (await store.list({ status: 'running' })).map((record) => record.sagaId);
          for (const service of Object.values(services)) service.calls.length = 0;
          await clock.tickAsync(1_000);
          const recoverers = Array.from(
            { length: workers },
            (_, index) =>
              new SagaOrchestrator(store, [orderSaga(services)], {
                clock,
                leaseMs: 1_000,
                owner: `w-${index}`,
                recoverBatchSize: batch,
              }),
          );
          const reports = await Promise.all(recoverers.map((orchestrator) => orchestrator.recover()));
          const recovered = reports.flatMap((report) => report.outcomes.map((outcome) => outcome.sagaId));
          expect(recovered.sort()).toEqual([...unfinished].sort());
          const calls = Object.values(services).flatMap((service) => service.calls);
          expect(new Set(calls).size).toBe(calls.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps timing a started step from its stored timeout after a restart', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const crashing = new CrashingSagaStore(store);
    const saga = defineSaga('slow')
      .step('a', { run: () => 1, compensate: () => {} })
      .step('b', { run: ({ signal }) => clock.sleep(60_000, signal), timeoutMs: 3_000 });
    const first = new SagaOrchestrator(crashing, [saga], { clock, leaseMs: 1_000 });
    first.onStepStarted(({ step }) => step === 'b' && crashing.crash());
    const crashed = first.start('slow', undefined, { sagaId: 'x' }).catch((error: unknown) => error);
    await clock.tickAsync(1_500);
    const recovering = new SagaOrchestrator(store, [saga], { clock, leaseMs: 1_000 }).recover();
    await clock.tickAsync(5_000);
    expect((await recovering).outcomes).toMatchObject([
      { status: 'compensated', error: { code: 'TIMEOUT' } },
    ]);
    const failed = (await store.get('x'))?.history.find((entry) => entry.type === 'stepFailed');
    expect(failed?.at).toBe(3_000);
    // The crashed process could not renew its lease, so it stopped before the lease ran out.
    const stopped = await crashed;
    expect(isSagaLeaseLostError(stopped)).toBe(true);
    expect(isSimulatedCrashError((stopped as Error).cause)).toBe(true);
  });

  it('compensates a saga whose deadline passed while no process was running it', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const crashing = new CrashingSagaStore(store);
    let runsOfB = 0;
    const saga = defineSaga('late')
      .step('a', { run: () => 1, compensate: () => {} })
      .step('b', {
        run: ({ signal }) => {
          runsOfB++;
          return clock.sleep(60_000, signal);
        },
      })
      .deadline(5_000);
    const first = new SagaOrchestrator(crashing, [saga], { clock, leaseMs: 1_000 });
    first.onStepStarted(({ step }) => step === 'b' && crashing.crash());
    void first.start('late', undefined, { sagaId: 'x' }).catch(() => {});
    await clock.tickAsync(6_000);
    const report = await new SagaOrchestrator(store, [saga], { clock, leaseMs: 1_000 }).recover();
    expect(report.outcomes).toMatchObject([
      { status: 'compensated', error: { code: 'SAGA_DEADLINE_EXCEEDED' } },
    ]);
    expect(runsOfB).toBe(1);
  });
});

/** A store whose lease renewals can be made to hang, as a stalled connection would. */
class StallingStore extends InMemorySagaStore {
  stalled = false;
  override renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    if (this.stalled) return new Promise<boolean>(() => {});
    return super.renewLease(sagaId, owner, until);
  }
}

describe('SagaOrchestrator: renewals that fail', () => {
  it('aborts the running step when renewals keep failing, before the lease runs out', async () => {
    const clock = new ManualClock(0);
    const store = new PartitionedStore();
    const signals: AbortSignal[] = [];
    const saga = defineSaga('slow').step('work', {
      run: ({ signal }) => {
        signals.push(signal);
        return clock.sleep(60_000, signal);
      },
    });
    const one = new SagaOrchestrator(store, [saga], { clock, leaseMs: 3_000, owner: 'one' });
    const first = one.start('slow', undefined, { sagaId: 'x' }).catch((error: unknown) => error);
    await clock.tickAsync(10);
    store.partitioned = true;
    await clock.tickAsync(1_000); // t = 1010: one renewal failed, the lease (until 3000) still holds
    expect(signals[0]?.aborted).toBe(false);
    await clock.tickAsync(1_000); // t = 2010: another failed; the next could only come at expiry
    expect(signals[0]?.aborted).toBe(true);
    const stopped = await first;
    expect(isSagaLeaseLostError(stopped)).toBe(true);
    expect(stopped).toMatchObject({ reason: 'notRenewed', cause: { message: 'network unreachable' } });
    store.partitioned = false;
    const two = new SagaOrchestrator(store, [saga], { clock, leaseMs: 3_000, owner: 'two' });
    const recovering = two.recover();
    await clock.tickAsync(60_000);
    expect((await recovering).outcomes.map((outcome) => outcome.status)).toEqual(['completed']);
  });

  it('keeps working through a failed renewal that the next renewal makes good', async () => {
    const clock = new ManualClock(0);
    const store = new PartitionedStore();
    const runs: string[] = [];
    const one = new SagaOrchestrator(store, [slowSaga(clock, 5_000, runs)], { clock, leaseMs: 3_000 });
    const done = one.start('slow', undefined, { sagaId: 'x' });
    await clock.tickAsync(10);
    store.partitioned = true;
    await clock.tickAsync(1_000);
    store.partitioned = false;
    await clock.tickAsync(5_000);
    expect((await done).status).toBe('completed');
    expect(runs).toEqual(['x/work']);
  });

  it('aborts the running step when the lease runs out while a renewal hangs', async () => {
    const clock = new ManualClock(0);
    const store = new StallingStore();
    const signals: AbortSignal[] = [];
    const saga = defineSaga('slow').step('work', {
      run: ({ signal }) => {
        signals.push(signal);
        return clock.sleep(60_000, signal);
      },
    });
    const one = new SagaOrchestrator(store, [saga], { clock, leaseMs: 3_000, owner: 'one' });
    const first = one.start('slow', undefined, { sagaId: 'x' }).catch((error: unknown) => error);
    await clock.tickAsync(10);
    store.stalled = true;
    await clock.tickAsync(2_900); // t = 2910: the renewal at 1010 never answered
    expect(signals[0]?.aborted).toBe(false);
    await clock.tickAsync(200); // past the lease's end (3000)
    expect(signals[0]?.aborted).toBe(true);
    expect(await first).toMatchObject({ code: 'SAGA_LEASE_LOST', reason: 'notRenewed' });
    await one.close();
  });
});

describe('SagaOrchestrator: close()', () => {
  it('aborts the running step and waits until the step itself has settled', async () => {
    const clock = new ManualClock(0);
    let finish: (() => void) | undefined;
    let stepSignal: AbortSignal | undefined;
    const saga = defineSaga('stubborn').step('work', {
      // Ignores its signal: close() must still wait for it.
      run: ({ signal }) => {
        stepSignal = signal;
        return new Promise<void>((resolve) => (finish = resolve));
      },
    });
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock });
    const started = orchestrator.start('stubborn', undefined).catch((error: unknown) => error);
    await clock.tickAsync(10);
    let closed = false;
    const closing = orchestrator.close().then(() => (closed = true));
    await clock.tickAsync(10_000);
    expect(stepSignal?.aborted).toBe(true);
    expect(isCancelledError(await started)).toBe(true);
    expect(closed).toBe(false);
    finish!();
    await closing;
    expect(closed).toBe(true);
  });

  it('waits for a step call that its timeout cut off and that is still running', async () => {
    const clock = new ManualClock(0);
    let finish: (() => void) | undefined;
    const saga = defineSaga('late').step('work', {
      run: () => new Promise<void>((resolve) => (finish = resolve)),
      timeoutMs: 100,
    });
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock });
    const outcome = orchestrator.start('late', undefined);
    await clock.tickAsync(100);
    expect((await outcome).status).toBe('compensated');
    let closed = false;
    const closing = orchestrator.close().then(() => (closed = true));
    await clock.tickAsync(1_000);
    expect(closed).toBe(false);
    finish!();
    await closing;
    expect(closed).toBe(true);
  });
});
