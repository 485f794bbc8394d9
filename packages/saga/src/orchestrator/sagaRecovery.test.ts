import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { orderSaga, orderServices } from './sagaTestKit.fixture.js';
import type { OrderServices } from './sagaTestKit.fixture.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import type { SagaStore } from '../store/sagaStore.js';
import { CrashingSagaStore, isSimulatedCrashError } from '../testing/crashingSagaStore.js';
import type { CrashPlan } from '../testing/crashingSagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';
import type { SagaOutcome } from './sagaOutcome.js';

const LEASE_MS = 1_000;
const input = { orderId: 'o-1', amount: 42 };

interface World {
  readonly clock: ManualClock;
  readonly store: InMemorySagaStore;
  readonly services: OrderServices;
}

function world(failPayment: boolean): World {
  const services = orderServices();
  services.payments.failAlways = failPayment;
  return { clock: new ManualClock(0), store: new InMemorySagaStore(), services };
}

function orchestratorOn(w: World, store: CrashingSagaStore | InMemorySagaStore, owner: string) {
  return new SagaOrchestrator(store, [orderSaga(w.services)], { clock: w.clock, leaseMs: LEASE_MS, owner });
}

/** One process life: recover, then the client retries `start` with the same id; a crash ends it. */
async function generation(
  w: World,
  owner: string,
  plan: CrashPlan | undefined,
): Promise<SagaOutcome | undefined> {
  const orchestrator = orchestratorOn(w, new CrashingSagaStore(w.store, plan), owner);
  try {
    await orchestrator.recover();
    return await orchestrator.start('order', input, { sagaId: 's-1' });
  } catch (error) {
    if (!isSimulatedCrashError(error)) throw error;
    await w.clock.tickAsync(LEASE_MS); // the dead process's lease runs out
    return undefined;
  }
}

/** Runs the saga through processes that crash as planned, then one that does not. */
async function runWithCrashes(failPayment: boolean, plans: readonly CrashPlan[]) {
  const w = world(failPayment);
  for (const [index, plan] of plans.entries()) await generation(w, `crashing-${index}`, plan);
  const outcome = await generation(w, 'survivor', undefined);
  return { outcome, record: await w.store.get('s-1'), services: w.services };
}

const count = (service: { calls: string[] }, prefix: string) =>
  service.calls.filter((call) => call.startsWith(prefix)).length;

/** The saga is completed or fully compensated, and no effect was applied twice. */
function expectConsistent(
  result: Awaited<ReturnType<typeof runWithCrashes>>,
  failPayment: boolean,
  crashes: number,
): void {
  const { outcome, record, services } = result;
  const { orders, inventory, payments, shipping } = services;
  expect(record?.status).toBe(failPayment ? 'compensated' : 'completed');
  expect(outcome?.status).toBe(record?.status);
  const steps = [
    [orders, 'create'],
    [inventory, 'reserve'],
    [payments, 'pay'],
    [shipping, 'ship'],
  ] as const;
  for (const [service, step] of steps) {
    // Re-runs after a crash reuse the step's key, so the service applies the effect once.
    expect(new Set(service.calls.filter((call) => call.startsWith('do')))).toEqual(
      new Set(service.calls.length > 0 ? [`do:s-1/${step}`] : []),
    );
    expect([...service.applied.values()].every((times) => times === 1)).toBe(true);
  }
  if (failPayment) {
    expect([...orders.undone.keys()]).toEqual(['s-1/create']);
    expect([...inventory.undone.keys()]).toEqual(['s-1/reserve']);
    expect(payments.applied.size + shipping.calls.length).toBe(0);
  } else {
    expect([orders, inventory, payments, shipping].map((service) => [...service.applied.keys()])).toEqual([
      ['s-1/create'],
      ['s-1/reserve'],
      ['s-1/pay'],
      ['s-1/ship'],
    ]);
    expect(orders.undone.size + inventory.undone.size).toBe(0);
  }
  expect(count(orders, 'do') + count(inventory, 'do') + count(shipping, 'do')).toBeLessThanOrEqual(
    (failPayment ? 2 : 3) + crashes,
  );
}

async function countWrites(failPayment: boolean): Promise<number> {
  const w = world(failPayment);
  const counting = new CrashingSagaStore(w.store);
  await orchestratorOn(w, counting, 'dry-run').start('order', input, { sagaId: 's-1' });
  return counting.writes;
}

describe('SagaOrchestrator: crash recovery', () => {
  for (const failPayment of [false, true]) {
    const ending = failPayment ? 'fully compensated' : 'completed';
    for (const mode of ['before', 'after'] as const) {
      it(`ends ${ending} after a crash ${mode} any store write`, async () => {
        const writes = await countWrites(failPayment);
        expect(writes).toBeGreaterThan(8);
        for (let atWrite = 1; atWrite <= writes; atWrite++) {
          const result = await runWithCrashes(failPayment, [{ atWrite, mode }]);
          expectConsistent(result, failPayment, 1);
        }
      });
    }
  }

  it('ends consistent after any sequence of crashes, recoveries included (property)', async () => {
    const plan = fc.record({
      atWrite: fc.integer({ min: 1, max: 16 }),
      mode: fc.constantFrom('before' as const, 'after' as const),
    });
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(plan, { maxLength: 4 }), async (failPayment, plans) => {
        expectConsistent(await runWithCrashes(failPayment, plans), failPayment, plans.length);
      }),
      { numRuns: 150 },
    );
  });

  it('re-runs a started step with the same idempotency key and a higher attempt', async () => {
    const w = world(false);
    const keys: string[] = [];
    w.services.payments.do = async function (this: typeof w.services.payments, key: string) {
      keys.push(key);
      return { id: key };
    };
    const crashing = new CrashingSagaStore(w.store);
    const first = orchestratorOn(w, crashing, 'first');
    first.onStepStarted(({ step }) => step === 'pay' && crashing.crash());
    await expect(first.start('order', input, { sagaId: 's-1' })).rejects.toSatisfy(isSimulatedCrashError);
    await w.clock.tickAsync(LEASE_MS);
    await orchestratorOn(w, w.store, 'second').recover();
    expect(keys).toEqual(['s-1/pay', 's-1/pay']);
    const starts = (await w.store.get('s-1'))!.history.filter(
      (entry) => entry.type === 'stepStarted' && entry.step === 'pay',
    );
    expect(starts.map((entry) => (entry as { attempt: number }).attempt)).toEqual([1, 2]);
  });

  it('continues a compensation that was in progress when the process crashed', async () => {
    const w = world(true);
    const crashing = new CrashingSagaStore(w.store);
    const first = orchestratorOn(w, crashing, 'first');
    first.on('compensationCompleted', () => crashing.crash());
    await expect(first.start('order', input, { sagaId: 's-1' })).rejects.toSatisfy(isSimulatedCrashError);
    expect((await w.store.get('s-1'))?.status).toBe('compensating');
    await w.clock.tickAsync(LEASE_MS);
    const report = await orchestratorOn(w, w.store, 'second').recover();
    expect(report.outcomes.map((outcome) => outcome.status)).toEqual(['compensated']);
    expect(w.services.inventory.calls.filter((call) => call.startsWith('undo'))).toHaveLength(1);
    expect([...w.services.orders.undone.keys()]).toEqual(['s-1/create']);
  });
});

describe('SagaOrchestrator: crash recovery of a resume()', () => {
  /** A saga left `failed` by a compensation that failed once. */
  async function failedWorld() {
    const w = world(true);
    w.services.inventory.failUndoNext = 1;
    const outcome = await orchestratorOn(w, w.store, 'first').start('order', input, { sagaId: 's-1' });
    expect(outcome.status).toBe('failed');
    return w;
  }

  for (const mode of ['before', 'after'] as const) {
    it(`ends compensated after a crash ${mode} any write of a resume, resumed again by recover() or resume()`, async () => {
      const dry = await failedWorld();
      const counting = new CrashingSagaStore(dry.store);
      await orchestratorOn(dry, counting, 'dry').resume('s-1');
      expect(counting.writes).toBeGreaterThan(3);
      for (let atWrite = 1; atWrite <= counting.writes; atWrite++) {
        const w = await failedWorld();
        const crashing = new CrashingSagaStore(w.store, { atWrite, mode });
        const crash = await orchestratorOn(w, crashing, 'dies')
          .resume('s-1')
          .catch((error: unknown) => error);
        expect(isSimulatedCrashError(crash)).toBe(true);
        await w.clock.tickAsync(LEASE_MS);
        const survivor = orchestratorOn(w, w.store, 'survivor');
        await survivor.recover();
        expect((await survivor.resume('s-1')).status).toBe('compensated');
        expect([...w.services.orders.undone.keys()]).toEqual(['s-1/create']);
        expect([...w.services.inventory.undone.keys()]).toEqual(['s-1/reserve']);
        expect(count(w.services.orders, 'undo')).toBeLessThanOrEqual(2);
      }
    });
  }
});

describe('SagaOrchestrator: crash recovery of a step that times out', () => {
  function timedWorld() {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const compensations: string[] = [];
    let charges = 0;
    const saga = defineSaga('timed')
      .step('reserve', {
        run: () => 'r',
        compensate: ({ outcome }) => void compensations.push(`reserve:${outcome}`),
      })
      .step('charge', {
        run: async ({ signal }) => {
          charges++;
          await clock.sleep(10_000, signal);
        },
        compensate: ({ outcome }) => void compensations.push(`charge:${outcome}`),
        timeoutMs: 3_000,
      })
      .step('ship', { run: () => 's' });
    const orchestrator = (target: SagaStore, owner: string) =>
      new SagaOrchestrator(target, [saga], { clock, leaseMs: LEASE_MS, owner });
    return { clock, store, compensations, orchestrator, charges: () => charges };
  }

  for (const mode of ['before', 'after'] as const) {
    it(`ends compensated, the timed-out step compensated once known to have started, after a crash ${mode} any write`, async () => {
      const dry = timedWorld();
      const counting = new CrashingSagaStore(dry.store);
      const running = dry.orchestrator(counting, 'dry').start('timed', undefined, { sagaId: 't' });
      await dry.clock.tickAsync(3_000);
      expect((await running).status).toBe('compensated');
      for (let atWrite = 1; atWrite <= counting.writes; atWrite++) {
        const w = timedWorld();
        const crashing = new CrashingSagaStore(w.store, { atWrite, mode });
        const doomed = w.orchestrator(crashing, 'dies');
        const first = doomed.start('timed', undefined, { sagaId: 't' }).catch((error: unknown) => error);
        await w.clock.tickAsync(20_000);
        await first;
        await doomed.close();
        const recovering = w.orchestrator(w.store, 'survivor').recover();
        await w.clock.tickAsync(20_000);
        await recovering;
        const record = await w.store.get('t');
        if (record === undefined) {
          expect([atWrite, mode, w.compensations]).toEqual([1, 'before', []]); // the create was lost
          continue;
        }
        expect(record.status).toBe('compensated');
        const started = record!.history.some(
          (entry) => entry.type === 'stepStarted' && entry.step === 'charge',
        );
        expect(w.compensations.filter((entry) => entry.startsWith('charge')).length > 0).toBe(started);
        expect(w.compensations.every((entry) => entry !== 'charge:completed')).toBe(true);
        expect(w.compensations.filter((entry) => entry.startsWith('reserve'))).toContain('reserve:completed');
        expect(record!.history.some((entry) => entry.type === 'stepCompleted' && entry.step === 'ship')).toBe(
          false,
        );
      }
    });
  }
});
