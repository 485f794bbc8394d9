import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { abortAfterTicks, orderSaga, orderServices, settle } from './sagaTestKit.fixture.js';
import type { OrderServices } from './sagaTestKit.fixture.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { isFinalSagaStatus } from '../store/sagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

const input = { orderId: 'o-1', amount: 42 };
/** More microtask turns than a whole saga takes in memory, so every await is hit. */
const TICKS = 90;

function world(failPayment: boolean, failUndo = 0) {
  const clock = new ManualClock(0);
  const store = new InMemorySagaStore();
  const services = orderServices();
  services.payments.failAlways = failPayment;
  services.inventory.failUndoNext = failUndo;
  const orchestrator = (owner: string, target: OrderServices = services) =>
    new SagaOrchestrator(store, [orderSaga(target)], { clock, owner, leaseMs: 1_000 });
  return { clock, store, services, orchestrator };
}

/** Every effect was applied (and undone) at most once, whatever was interrupted. */
function expectEffectsOnce(services: OrderServices): void {
  for (const service of Object.values(services)) {
    expect([...service.applied.values()].every((times) => times === 1)).toBe(true);
    expect([...service.undone.values()].every((times) => times === 1)).toBe(true);
  }
}

describe('SagaOrchestrator: an abort at every await', () => {
  for (const failPayment of [false, true]) {
    it(`start() gets the outcome once the final status is stored, else the abort reason (${failPayment ? 'compensated' : 'completed'})`, async () => {
      const seen = { outcome: 0, aborted: 0 };
      for (let ticks = 0; ticks < TICKS; ticks++) {
        const w = world(failPayment);
        const controller = new AbortController();
        const reason = new Error(`stop at tick ${ticks}`);
        const started = settle(
          w.orchestrator('caller').start('order', input, { sagaId: 's-1', signal: controller.signal }),
        );
        void abortAfterTicks(controller, ticks, reason);
        const result = await started;
        const stored = await w.store.get('s-1');
        if (result.ok) {
          seen.outcome++;
          expect(result.value.status).toBe(stored?.status);
          expect(isFinalSagaStatus(stored!.status)).toBe(true);
          continue;
        }
        seen.aborted++;
        expect(result.error).toBe(reason);
        if (stored === undefined) continue;
        // Rejected with the abort: the final status is not stored and the lease is free at once.
        expect(isFinalSagaStatus(stored.status)).toBe(false);
        expect(stored.lease).toBeUndefined();
        const report = await w.orchestrator('recoverer').recover();
        expect(report.outcomes.map((outcome) => outcome.status)).toEqual([
          failPayment ? 'compensated' : 'completed',
        ]);
        expectEffectsOnce(w.services);
      }
      expect(seen.outcome).toBeGreaterThan(0);
      expect(seen.aborted).toBeGreaterThan(0);
    });
  }

  it('resume() of a failed saga gets the outcome once stored, else the abort reason', async () => {
    const seen = { outcome: 0, aborted: 0 };
    for (let ticks = 0; ticks < TICKS; ticks++) {
      const w = world(true, 1);
      const orchestrator = w.orchestrator('caller');
      expect((await orchestrator.start('order', input, { sagaId: 's-1' })).status).toBe('failed');
      const controller = new AbortController();
      const reason = new Error(`stop at tick ${ticks}`);
      const resumed = settle(orchestrator.resume('s-1', { signal: controller.signal }));
      void abortAfterTicks(controller, ticks, reason);
      const result = await resumed;
      const stored = await w.store.get('s-1');
      if (result.ok) {
        seen.outcome++;
        expect(result.value.status).toBe('compensated');
        expect(stored?.status).toBe('compensated');
        continue;
      }
      seen.aborted++;
      expect(result.error).toBe(reason);
      expect(isFinalSagaStatus(stored!.status) && stored!.status !== 'failed').toBe(false);
      expect(stored?.lease).toBeUndefined();
      expect((await w.orchestrator('operator').resume('s-1')).status).toBe('compensated');
      expectEffectsOnce(w.services);
    }
    expect(seen.outcome).toBeGreaterThan(0);
    expect(seen.aborted).toBeGreaterThan(0);
  });

  it('recover() stops claiming on abort and reports what it stopped; nothing keeps running', async () => {
    for (let ticks = 0; ticks < TICKS; ticks += 3) {
      const w = world(false);
      const ids = ['s-1', 's-2', 's-3', 's-4', 's-5'];
      for (const [index, sagaId] of ids.entries()) {
        await w.store.create({
          sagaId,
          sagaName: 'order',
          status: 'running',
          input,
          history: [{ type: 'sagaStarted', at: index }],
          createdAt: index,
          updatedAt: index,
          version: 1,
        });
      }
      const recoverer = new SagaOrchestrator(w.store, [orderSaga(w.services)], {
        clock: w.clock,
        owner: 'recoverer',
        recoverBatchSize: 2,
      });
      const controller = new AbortController();
      const reason = new Error('stop');
      const recovering = settle(recoverer.recover({ signal: controller.signal }));
      void abortAfterTicks(controller, ticks, reason);
      const result = await recovering;
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      const records = await w.store.list();
      const done = records
        .filter((record) => isFinalSagaStatus(record.status))
        .map((record) => record.sagaId);
      expect(result.value.outcomes.map((outcome) => outcome.sagaId).sort()).toEqual(done.sort());
      for (const { error } of result.value.interrupted) expect(error).toBe(reason);
      expect(records.every((record) => record.lease === undefined)).toBe(true);
      // Nothing of the stopped pass runs on: the store is unchanged a while later.
      const snapshot = JSON.stringify(await w.store.list());
      await w.clock.tickAsync(5_000);
      expect(JSON.stringify(await w.store.list())).toBe(snapshot);
      const rest = await w.orchestrator('second').recover();
      expect(rest.outcomes).toHaveLength(ids.length - done.length);
      expectEffectsOnce(w.services);
    }
  });
});
