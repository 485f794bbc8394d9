import { isConcurrencyError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { orderSaga, orderServices, settle } from './sagaTestKit.fixture.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

const input = { orderId: 'o-1', amount: 42 };

/** A saga whose compensation failed once, so it is `failed` until resumed. */
async function failedSaga() {
  const clock = new ManualClock(0);
  const store = new InMemorySagaStore();
  const services = orderServices();
  services.payments.failAlways = true;
  services.inventory.failUndoNext = 1;
  const make = (owner: string) =>
    new SagaOrchestrator(store, [orderSaga(services)], { clock, owner, leaseMs: 1_000, pollIntervalMs: 50 });
  const first = make('first');
  expect((await first.start('order', input, { sagaId: 's-1' })).status).toBe('failed');
  return { clock, store, services, first, make };
}

const undos = (service: { calls: string[] }) => service.calls.filter((call) => call.startsWith('undo'));

/** A one-step saga whose step waits `ms` on the clock (following its signal) and counts its runs. */
function slowSaga(clock: ManualClock, ms: number) {
  const runs: AbortSignal[] = [];
  const saga = defineSaga('slow').step('work', {
    run: async ({ signal }) => {
      runs.push(signal);
      await clock.sleep(ms, signal);
      return 'done';
    },
  });
  return { saga, runs };
}

describe('SagaOrchestrator: concurrent resume()', () => {
  it('gives two concurrent resumes in one orchestrator the outcome, compensating once', async () => {
    const { first, services } = await failedSaga();
    const [a, b] = await Promise.all([first.resume('s-1'), first.resume('s-1')]);
    expect(a).toEqual(b);
    expect(a.status).toBe('compensated');
    expect(undos(services.inventory)).toEqual(['undo:s-1/reserve', 'undo:s-1/reserve']);
    expect(undos(services.orders)).toEqual(['undo:s-1/create']);
  });

  it('gives concurrent resumes from two orchestrators the outcome, never a ConcurrencyError', async () => {
    const { clock, make, services } = await failedSaga();
    const results = Promise.all([settle(make('a').resume('s-1')), settle(make('b').resume('s-1'))]);
    await clock.tickAsync(500);
    const [a, b] = await results;
    for (const result of [a, b]) {
      expect(result.ok ? undefined : isConcurrencyError(result.error)).toBeUndefined();
      expect(result.ok && result.value.status).toBe('compensated');
    }
    expect(undos(services.orders)).toEqual(['undo:s-1/create']);
  });

  it('gives a resume racing a recover() the outcome', async () => {
    const { clock, make, services } = await failedSaga();
    const resumed = make('a').resume('s-1');
    const recovered = make('b').recover();
    await clock.tickAsync(500);
    expect((await resumed).status).toBe('compensated');
    await recovered;
    expect(undos(services.orders)).toEqual(['undo:s-1/create']);
  });
});

describe('SagaOrchestrator: one caller aborting', () => {
  it("ends only that caller's wait; the other callers of start() get the outcome", async () => {
    const clock = new ManualClock(0);
    const { saga, runs } = slowSaga(clock, 1_000);
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock });
    const leaving = new AbortController();
    const a = settle(orchestrator.start('slow', undefined, { sagaId: 'x', signal: leaving.signal }));
    const b = orchestrator.start('slow', undefined, { sagaId: 'x', signal: new AbortController().signal });
    const c = orchestrator.start('slow', undefined, { sagaId: 'x' });
    await clock.tickAsync(10);
    const reason = new Error('caller A left');
    leaving.abort(reason);
    expect(await a).toEqual({ ok: false, error: reason });
    expect(runs[0]?.aborted).toBe(false);
    await clock.tickAsync(1_000);
    expect((await b).status).toBe('completed');
    expect((await c).status).toBe('completed');
    expect(runs).toHaveLength(1);
  });

  it('stops the run when every caller aborted, leaving the saga unfinished with its lease released', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const { saga, runs } = slowSaga(clock, 1_000);
    const orchestrator = new SagaOrchestrator(store, [saga], { clock });
    const one = new AbortController();
    const two = new AbortController();
    const a = settle(orchestrator.start('slow', undefined, { sagaId: 'x', signal: one.signal }));
    const b = settle(orchestrator.start('slow', undefined, { sagaId: 'x', signal: two.signal }));
    await clock.tickAsync(10);
    one.abort(new Error('one'));
    expect(runs[0]?.aborted).toBe(false);
    two.abort(new Error('two'));
    expect(await a).toMatchObject({ ok: false, error: { message: 'one' } });
    expect(await b).toMatchObject({ ok: false, error: { message: 'two' } });
    expect(runs[0]?.aborted).toBe(true);
    expect(await store.get('x')).toMatchObject({ status: 'running' });
    expect((await store.get('x'))?.lease).toBeUndefined();
  });

  it("runs again for a start() that comes while an aborted run is stopping, instead of handing it the other caller's abort", async () => {
    const clock = new ManualClock(0);
    const { saga, runs } = slowSaga(clock, 1_000);
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock });
    const leaving = new AbortController();
    const a = settle(orchestrator.start('slow', undefined, { sagaId: 'x', signal: leaving.signal }));
    await clock.tickAsync(10);
    leaving.abort(new Error('left'));
    const b = orchestrator.start('slow', undefined, { sagaId: 'x' });
    await clock.tickAsync(10);
    await clock.tickAsync(1_000);
    expect((await b).status).toBe('completed');
    expect((await a).ok).toBe(false);
    expect(runs).toHaveLength(2);
  });

  it('gives a recover() caller that aborts a report, while a start() joined to the same run gets the outcome', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const { saga } = slowSaga(clock, 1_000);
    const dead = new SagaOrchestrator(store, [saga], { clock, owner: 'dead', leaseMs: 100 });
    const kill = new AbortController();
    const crashed = settle(dead.start('slow', undefined, { sagaId: 'x', signal: kill.signal }));
    await clock.tickAsync(10);
    kill.abort(new Error('process stopped'));
    await crashed;
    const orchestrator = new SagaOrchestrator(store, [saga], { clock, owner: 'alive' });
    const stop = new AbortController();
    const recovering = orchestrator.recover({ signal: stop.signal });
    await clock.tickAsync(10);
    const joined = orchestrator.start('slow', undefined, { sagaId: 'x' });
    const reason = new Error('recover stopped');
    stop.abort(reason);
    expect(await recovering).toEqual({ outcomes: [], interrupted: [{ sagaId: 'x', error: reason }] });
    await clock.tickAsync(1_000);
    expect((await joined).status).toBe('completed');
  });
});
