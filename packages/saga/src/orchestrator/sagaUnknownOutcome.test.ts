import { isSerializationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import type { SagaHistoryEntry, SagaRecord } from '../store/sagaStore.js';
import { CrashingSagaStore } from '../testing/crashingSagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

interface Undo {
  readonly step: string;
  readonly outcome: string;
  readonly output: unknown;
  readonly key: string;
  readonly runKey: string;
}

/** reserve → charge (slow, with a timeout) → ship, recording every compensation it gets. */
function paymentSaga(clock: ManualClock, options: { timeoutMs?: number; deadlineMs?: number } = {}) {
  const undone: Undo[] = [];
  const charges: string[] = [];
  const record =
    (step: string) =>
    (context: { outcome: string; output: unknown; idempotencyKey: string; runIdempotencyKey: string }) =>
      void undone.push({
        step,
        outcome: context.outcome,
        output: context.output,
        key: context.idempotencyKey,
        runKey: context.runIdempotencyKey,
      });
  let saga = defineSaga('pay')
    .step('reserve', { run: () => ({ reservation: 'r-1' }), compensate: record('reserve') })
    .step('charge', {
      run: async ({ idempotencyKey, signal }) => {
        charges.push(idempotencyKey);
        await clock.sleep(10_000, signal);
        return { charged: true };
      },
      compensate: record('charge'),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    })
    .step('ship', { run: () => 'shipped' });
  if (options.deadlineMs !== undefined) saga = saga.deadline(options.deadlineMs);
  return { saga, undone, charges };
}

/** A store where writing a start of `slowStart` (once set) takes `ms` on the clock, as a slow database would. */
class SlowStartStore extends InMemorySagaStore {
  slowStart: { readonly step: string; readonly ms: number } | undefined;
  constructor(readonly clock: ManualClock) {
    super();
  }
  override async save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    const last = record.history[record.history.length - 1];
    if (last?.type === 'stepStarted' && last.step === this.slowStart?.step)
      this.clock.advance(this.slowStart.ms);
    return super.save(record, expectedVersion);
  }
}

const failedEntry = (history: readonly SagaHistoryEntry[] | undefined) =>
  history?.find((entry) => entry.type === 'stepFailed');

/** Starts the saga in a process that dies right after the charge step's start was stored. */
async function crashDuringCharge(
  clock: ManualClock,
  store: InMemorySagaStore,
  saga: ReturnType<typeof paymentSaga>['saga'],
) {
  const crashing = new CrashingSagaStore(store);
  const doomed = new SagaOrchestrator(crashing, [saga], { clock, leaseMs: 1_000, owner: 'doomed' });
  doomed.onStepStarted(({ step }) => step === 'charge' && crashing.crash());
  const started = doomed.start('pay', undefined, { sagaId: 'p' }).catch((error: unknown) => error);
  await clock.tickAsync(0);
  return { doomed, started };
}

describe('SagaOrchestrator: steps whose outcome is unknown', () => {
  it('compensates a step started before a crash whose timeout passed before recovery, without running it again', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const { saga, undone, charges } = paymentSaga(clock, { timeoutMs: 3_000 });
    const { doomed, started } = await crashDuringCharge(clock, store, saga);
    await doomed.close();
    expect(await started).toBeInstanceOf(Error);
    await clock.tickAsync(5_000);
    const report = await new SagaOrchestrator(store, [saga], { clock, owner: 'next' }).recover();
    expect(report.outcomes).toMatchObject([{ status: 'compensated', error: { code: 'TIMEOUT' } }]);
    expect(charges).toEqual(['p/charge']);
    expect(undone).toEqual([
      {
        step: 'charge',
        outcome: 'unknown',
        output: undefined,
        key: 'p/charge/compensate',
        runKey: 'p/charge',
      },
      {
        step: 'reserve',
        outcome: 'completed',
        output: { reservation: 'r-1' },
        key: 'p/reserve/compensate',
        runKey: 'p/reserve',
      },
    ]);
    expect(failedEntry((await store.get('p'))?.history)).toMatchObject({
      step: 'charge',
      outcomeUnknown: true,
    });
  });

  it('compensates a step started before a crash when the saga deadline passed before recovery', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const { saga, undone, charges } = paymentSaga(clock, { deadlineMs: 2_000 });
    const { doomed } = await crashDuringCharge(clock, store, saga);
    await doomed.close();
    await clock.tickAsync(3_000);
    const report = await new SagaOrchestrator(store, [saga], { clock, owner: 'next' }).recover();
    expect(report.outcomes).toMatchObject([
      { status: 'compensated', error: { code: 'SAGA_DEADLINE_EXCEEDED' } },
    ]);
    expect(charges).toEqual(['p/charge']);
    expect(undone.map((undo) => [undo.step, undo.outcome])).toEqual([
      ['charge', 'unknown'],
      ['reserve', 'completed'],
    ]);
    expect((await new SagaOrchestrator(store, [saga], { clock }).status('p'))?.compensatedSteps).toEqual([
      'charge',
      'reserve',
    ]);
  });

  it('runs a step started before a crash again, with its key, while its time has not run out', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const { saga, undone, charges } = paymentSaga(clock, { timeoutMs: 30_000 });
    const { doomed } = await crashDuringCharge(clock, store, saga);
    await doomed.close();
    await clock.tickAsync(1_000);
    const recovering = new SagaOrchestrator(store, [saga], { clock, owner: 'next' }).recover();
    await clock.tickAsync(10_000);
    expect((await recovering).outcomes).toMatchObject([{ status: 'completed' }]);
    expect(charges).toEqual(['p/charge', 'p/charge']);
    expect(undone).toEqual([]);
  });

  it('compensates a step started before a crash whose time ran out while its next start was being stored', async () => {
    const clock = new ManualClock(0);
    const store = new SlowStartStore(clock);
    const { saga, undone, charges } = paymentSaga(clock, { timeoutMs: 3_000 });
    const { doomed } = await crashDuringCharge(clock, store, saga);
    await doomed.close();
    await clock.tickAsync(1_500);
    store.slowStart = { step: 'charge', ms: 2_000 };
    const report = await new SagaOrchestrator(store, [saga], { clock, owner: 'next' }).recover();
    expect(report.outcomes).toMatchObject([{ status: 'compensated', error: { code: 'TIMEOUT' } }]);
    expect(charges).toEqual(['p/charge']);
    expect(undone.map((undo) => [undo.step, undo.outcome])).toEqual([
      ['charge', 'unknown'],
      ['reserve', 'completed'],
    ]);
    expect(failedEntry((await store.get('p'))?.history)).toMatchObject({
      step: 'charge',
      outcomeUnknown: true,
    });
  });

  it('compensates a step started before a crash whose deadline passed while its next start was being stored', async () => {
    const clock = new ManualClock(0);
    const store = new SlowStartStore(clock);
    const { saga, undone, charges } = paymentSaga(clock, { deadlineMs: 3_000 });
    const { doomed } = await crashDuringCharge(clock, store, saga);
    await doomed.close();
    await clock.tickAsync(1_500);
    store.slowStart = { step: 'charge', ms: 2_000 };
    const report = await new SagaOrchestrator(store, [saga], { clock, owner: 'next' }).recover();
    expect(report.outcomes).toMatchObject([
      { status: 'compensated', error: { code: 'SAGA_DEADLINE_EXCEEDED' } },
    ]);
    expect(charges).toEqual(['p/charge']);
    expect(undone.map((undo) => [undo.step, undo.outcome])).toEqual([
      ['charge', 'unknown'],
      ['reserve', 'completed'],
    ]);
  });

  it('does not compensate a step whose first start ran out of time before it was called', async () => {
    const clock = new ManualClock(0);
    const store = new SlowStartStore(clock);
    const { saga, undone, charges } = paymentSaga(clock, { timeoutMs: 1_000 });
    store.slowStart = { step: 'charge', ms: 2_000 };
    const outcome = await new SagaOrchestrator(store, [saga], { clock }).start('pay', undefined, {
      sagaId: 'p',
    });
    expect(outcome).toMatchObject({ status: 'compensated', error: { code: 'TIMEOUT' } });
    expect(charges).toEqual([]);
    expect(undone.map((undo) => undo.step)).toEqual(['reserve']);
  });

  it('compensates a step cut off by its timeout while it ran, as it may have taken effect', async () => {
    const clock = new ManualClock(0);
    const { saga, undone } = paymentSaga(clock, { timeoutMs: 500 });
    const outcome = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock }).start('pay', undefined, {
      sagaId: 'p',
    });
    await clock.tickAsync(500);
    expect(await outcome).toMatchObject({ status: 'compensated', error: { code: 'TIMEOUT' } });
    expect(undone.map((undo) => [undo.step, undo.outcome])).toEqual([
      ['charge', 'unknown'],
      ['reserve', 'completed'],
    ]);
  });

  it('compensates a step cut off by the saga deadline while it ran', async () => {
    const clock = new ManualClock(0);
    const { saga, undone } = paymentSaga(clock, { deadlineMs: 700 });
    const outcome = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock }).start('pay', undefined);
    await clock.tickAsync(700);
    expect(await outcome).toMatchObject({ status: 'compensated', error: { code: 'SAGA_DEADLINE_EXCEEDED' } });
    expect(undone.map((undo) => undo.step)).toEqual(['charge', 'reserve']);
  });

  it('does not compensate a step whose run failed by itself', async () => {
    const undone: string[] = [];
    const saga = defineSaga('own')
      .step('a', { run: () => 1, compensate: () => void undone.push('a') })
      .step('b', {
        run: () => {
          throw new Error('declined');
        },
        compensate: () => void undone.push('b'),
      });
    const outcome = await new SagaOrchestrator(new InMemorySagaStore(), [saga]).start('own', undefined);
    expect(outcome.status).toBe('compensated');
    expect(undone).toEqual(['a']);
  });
});

describe('SagaOrchestrator: step outputs a store cannot hold', () => {
  for (const [name, output] of [
    ['a BigInt', { amount: 10n }],
    ['a NUL character', { note: 'a\u0000b' }],
    ['a lone surrogate', '\uD800'],
    [
      'a toJSON that throws',
      {
        toJSON() {
          throw new Error('boom');
        },
      },
    ],
    [
      'a getter that throws',
      {
        get total(): number {
          throw new Error('boom');
        },
      },
    ],
    [
      'a cycle',
      (() => {
        const self: Record<string, unknown> = {};
        self.self = self;
        return self;
      })(),
    ],
  ] as const) {
    it(`fails the step and compensates it (outcome unknown) when its output has ${name}, instead of leaving the saga running`, async () => {
      const store = new InMemorySagaStore();
      const undone: string[] = [];
      let runs = 0;
      const saga = defineSaga('bad')
        .step('a', { run: () => 1, compensate: () => void undone.push('a') })
        .step('b', {
          run: () => {
            runs++;
            return output;
          },
          compensate: ({ outcome }) => void undone.push(`b:${outcome}`),
        });
      const orchestrator = new SagaOrchestrator(store, [saga]);
      const outcome = await orchestrator.start('bad', undefined, { sagaId: 'x' });
      expect(outcome).toMatchObject({ status: 'compensated', error: { code: 'SERIALIZATION_FAILED' } });
      expect(undone).toEqual(['b:unknown', 'a']);
      expect(failedEntry((await store.get('x'))?.history)).toMatchObject({ step: 'b', outcomeUnknown: true });
      expect((await orchestrator.recover()).outcomes).toEqual([]);
      expect(runs).toBe(1);
    });
  }

  it('hands later steps and the outcome a Date output as its ISO string, as after a restart', async () => {
    const seen: unknown[] = [];
    const saga = defineSaga('dated')
      .step('a', { run: () => ({ at: new Date(0) }) })
      .step('b', { run: ({ context }) => void seen.push(context) });
    const outcome = await new SagaOrchestrator(new InMemorySagaStore(), [saga]).start('dated', undefined);
    expect(seen).toEqual([{ a: { at: '1970-01-01T00:00:00.000Z' } }]);
    expect(outcome).toMatchObject({
      status: 'completed',
      context: { a: { at: '1970-01-01T00:00:00.000Z' } },
    });
  });

  it('records a step error whose message has a NUL character, so the saga still ends compensated', async () => {
    const store = new InMemorySagaStore();
    const saga = defineSaga('msg').step('a', {
      run: () => {
        throw new Error('bad\u0000byte \uDC00');
      },
    });
    const outcome = await new SagaOrchestrator(store, [saga]).start('msg', undefined, { sagaId: 'x' });
    expect(outcome).toMatchObject({ status: 'compensated', error: { message: 'bad\uFFFDbyte \uFFFD' } });
  });

  it('refuses an input a store cannot hold with a SerializationError before anything is stored', async () => {
    const store = new InMemorySagaStore();
    const saga = defineSaga('in')
      .input<{ n: bigint }>()
      .step('a', { run: () => 1 });
    const error = await new SagaOrchestrator(store, [saga])
      .start('in', { n: 1n }, { sagaId: 'x' })
      .catch((caught: unknown) => caught);
    expect(isSerializationError(error)).toBe(true);
    expect(await store.get('x')).toBeUndefined();
  });
});
