import { isTimeoutError, isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSaga } from '../definition/defineSaga.js';
import { isSagaDeadlineExceededError, isSagaIdConflictError, isUnknownSagaError } from '../errors/errors.js';
import { orderSaga, orderServices, recordingLogger, retryPolicy } from './sagaTestKit.fixture.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import type { SagaRecord } from '../store/sagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

const input = { orderId: 'o-1', amount: 42 };

function setup(options: { retry?: ReturnType<typeof retryPolicy>; timeoutMs?: number } = {}) {
  const clock = new ManualClock(1_000_000);
  const store = new InMemorySagaStore();
  const services = orderServices();
  const logger = recordingLogger();
  const saga = orderSaga(services, options);
  const orchestrator = new SagaOrchestrator(store, [saga], { clock, logger, owner: 'one', leaseMs: 10_000 });
  return { clock, store, services, logger, saga, orchestrator };
}

const types = (record: SagaRecord | undefined) => record?.history.map((entry) => entry.type) ?? [];

describe('SagaOrchestrator: running steps', () => {
  it('runs every step in order and returns their outputs as the context', async () => {
    const { orchestrator, services } = setup();
    const outcome = await orchestrator.start('order', input, { sagaId: 's-1' });
    expect(outcome).toEqual({
      sagaId: 's-1',
      sagaName: 'order',
      status: 'completed',
      context: {
        create: { id: 'orders:s-1/create' },
        reserve: { id: 'inventory:s-1/reserve' },
        pay: { id: 'payments:s-1/pay' },
        ship: { id: 'shipping:s-1/ship' },
      },
    });
    expect(services.shipping.calls).toEqual(['do:s-1/ship']);
  });

  it('hands each step the input, the earlier outputs, its idempotency key and attempt', async () => {
    const seen: unknown[] = [];
    const saga = defineSaga('pair')
      .input<{ n: number }>()
      .step('first', { run: ({ input }) => input.n * 2 })
      .step('second', {
        run: ({ input, context, idempotencyKey, attempt, sagaName }) => {
          seen.push({ input, context, idempotencyKey, attempt, sagaName });
        },
      });
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga]);
    await orchestrator.start('pair', { n: 21 }, { sagaId: 'p-1' });
    expect(seen).toEqual([
      {
        input: { n: 21 },
        context: { first: 42 },
        idempotencyKey: 'p-1/second',
        attempt: 1,
        sagaName: 'pair',
      },
    ]);
  });

  it('stores each step start before running the step', async () => {
    const store = new InMemorySagaStore();
    let storedAtRun: SagaRecord | undefined;
    const saga = defineSaga('probe').step('only', {
      run: async () => void (storedAtRun = await store.get('x')),
    });
    await new SagaOrchestrator(store, [saga]).start('probe', undefined, { sagaId: 'x' });
    expect(types(storedAtRun)).toEqual(['sagaStarted', 'stepStarted']);
  });

  it('stores a step output before the next step starts', async () => {
    const store = new InMemorySagaStore();
    let storedAtSecond: SagaRecord | undefined;
    const saga = defineSaga('probe')
      .step('first', { run: () => ({ made: 1 }) })
      .step('second', { run: async () => void (storedAtSecond = await store.get('x')) });
    await new SagaOrchestrator(store, [saga]).start('probe', undefined, { sagaId: 'x' });
    expect(storedAtSecond?.history[2]).toMatchObject({
      type: 'stepCompleted',
      step: 'first',
      output: { made: 1 },
    });
  });

  it('retries a failing step with its policy and completes', async () => {
    const { orchestrator, services } = setup({ retry: retryPolicy(3) });
    services.payments.failNext = 2;
    const outcome = await orchestrator.start('order', input, { sagaId: 's-1' });
    expect(outcome.status).toBe('completed');
    expect(services.payments.calls).toEqual(['do:s-1/pay', 'do:s-1/pay', 'do:s-1/pay']);
  });

  it('validates the input with the definition schema before storing anything', async () => {
    const store = new InMemorySagaStore();
    const saga = defineSaga('typed')
      .input(z.object({ amount: z.number().positive() }))
      .step('only', { run: ({ input }) => input.amount });
    const orchestrator = new SagaOrchestrator(store, [saga]);
    const error = await orchestrator.start('typed', { amount: -1 }).catch((caught: unknown) => caught);
    expect(isValidationError(error)).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it('rejects an unknown saga name with an UnknownSagaError', async () => {
    const { orchestrator } = setup();
    const error = await orchestrator.start('nope' as 'order', input).catch((caught: unknown) => caught);
    expect(isUnknownSagaError(error)).toBe(true);
  });
});

describe('SagaOrchestrator: compensation', () => {
  it('compensates the completed steps in reverse order when a step fails', async () => {
    const { orchestrator, services } = setup();
    services.payments.failAlways = true;
    const outcome = await orchestrator.start('order', input, { sagaId: 's-1' });
    expect(outcome).toMatchObject({ status: 'compensated', error: { code: 'SERVICE_DOWN' } });
    const undo = [...services.inventory.calls, ...services.orders.calls].filter((call) =>
      call.startsWith('undo'),
    );
    expect(undo).toEqual(['undo:s-1/reserve', 'undo:s-1/create']);
    const record = await orchestrator.get('s-1');
    expect(types(record).slice(-7)).toEqual([
      'stepStarted',
      'stepFailed',
      'compensationStarted',
      'compensationCompleted',
      'compensationStarted',
      'compensationCompleted',
      'sagaCompensated',
    ]);
    const order = record!.history
      .filter((entry) => entry.type === 'compensationCompleted')
      .map((entry) => entry.step);
    expect(order).toEqual(['reserve', 'create']);
  });

  it('skips completed steps that have no compensation', async () => {
    const undone: string[] = [];
    const saga = defineSaga('mixed')
      .step('a', { run: () => 1, compensate: () => void undone.push('a') })
      .step('b', { run: () => 2 })
      .step('c', {
        run: () => {
          throw new Error('boom');
        },
      });
    const outcome = await new SagaOrchestrator(new InMemorySagaStore(), [saga]).start('mixed', undefined);
    expect(outcome.status).toBe('compensated');
    expect(undone).toEqual(['a']);
  });

  it('hands a compensation the output of its step', async () => {
    const seen: unknown[] = [];
    const saga = defineSaga('out')
      .step('a', {
        run: () => ({ ticket: 7 }),
        compensate: ({ output, idempotencyKey }) => void seen.push({ output, idempotencyKey }),
      })
      .step('b', {
        run: () => {
          throw new Error('boom');
        },
      });
    await new SagaOrchestrator(new InMemorySagaStore(), [saga]).start('out', undefined, { sagaId: 'q' });
    expect(seen).toEqual([{ output: { ticket: 7 }, idempotencyKey: 'q/a/compensate' }]);
  });

  it('retries a failing compensation with the step policy', async () => {
    const { orchestrator, services } = setup({ retry: retryPolicy(3) });
    services.payments.failAlways = true;
    services.inventory.failUndoNext = 2;
    const outcome = await orchestrator.start('order', input, { sagaId: 's-1' });
    expect(outcome.status).toBe('compensated');
    expect(services.inventory.calls.filter((call) => call.startsWith('undo'))).toHaveLength(3);
  });

  it('leaves the saga failed with its history and error when a compensation keeps failing', async () => {
    const { orchestrator, services } = setup({ retry: retryPolicy(2) });
    services.payments.failAlways = true;
    services.inventory.failUndoNext = 5;
    const outcome = await orchestrator.start('order', input, { sagaId: 's-1' });
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { code: 'SERVICE_DOWN', message: 'inventory could not undo s-1/reserve.' },
    });
    const failed = await orchestrator.list({ status: 'failed' });
    expect(failed.map((record) => record.sagaId)).toEqual(['s-1']);
    expect(types(failed[0]).slice(-4)).toEqual([
      'stepFailed',
      'compensationStarted',
      'compensationFailed',
      'sagaFailed',
    ]);
    expect(services.orders.calls).not.toContain('undo:s-1/create');
  });

  it('retries the compensation of a failed saga on resume once the cause is fixed', async () => {
    const { orchestrator, services } = setup();
    services.payments.failAlways = true;
    services.inventory.failUndoNext = 1;
    expect((await orchestrator.start('order', input, { sagaId: 's-1' })).status).toBe('failed');
    const outcome = await orchestrator.resume('s-1');
    expect(outcome.status).toBe('compensated');
    expect([...services.inventory.undone.keys(), ...services.orders.undone.keys()]).toEqual([
      's-1/reserve',
      's-1/create',
    ]);
  });

  it('reports the step failure that was compensated, not the compensation failure, once a resume compensates', async () => {
    const { orchestrator, services } = setup();
    services.payments.failAlways = true;
    services.inventory.failUndoNext = 1;
    await orchestrator.start('order', input, { sagaId: 's-1' });
    const stepFailure = { code: 'SERVICE_DOWN', message: 'payments refused s-1/pay.' };
    expect(await orchestrator.resume('s-1')).toMatchObject({ status: 'compensated', error: stepFailure });
    expect(await orchestrator.status('s-1')).toMatchObject({ status: 'compensated', error: stepFailure });
    const history = (await orchestrator.get('s-1'))?.history ?? [];
    expect(history.find((entry) => entry.type === 'compensationFailed')).toMatchObject({
      error: { message: 'inventory could not undo s-1/reserve.' },
    });
  });
});

describe('SagaOrchestrator: timeouts and deadlines', () => {
  it('fails a step that outlives its timeout with a TimeoutError and compensates', async () => {
    const clock = new ManualClock(0);
    const undone: string[] = [];
    const saga = defineSaga('slow')
      .step('a', { run: () => 1, compensate: () => void undone.push('a') })
      .step('b', { run: ({ signal }) => clock.sleep(60_000, signal), timeoutMs: 5_000 });
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock });
    const outcome = orchestrator.start('slow', undefined, { sagaId: 't' });
    await clock.tickAsync(5_000);
    const result = await outcome;
    expect(result).toMatchObject({ status: 'compensated', error: { code: 'TIMEOUT' } });
    expect(undone).toEqual(['a']);
  });

  it('aborts the running step at the saga deadline and compensates', async () => {
    const clock = new ManualClock(0);
    let stepSignal: AbortSignal | undefined;
    const saga = defineSaga('late')
      .step('a', { run: () => 1, compensate: () => {} })
      .step('b', {
        run: ({ signal }) => {
          stepSignal = signal;
          return new Promise<never>(() => {});
        },
      })
      .deadline(2_000);
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock });
    const outcome = orchestrator.start('late', undefined, { sagaId: 'd' });
    await clock.tickAsync(2_000);
    expect(await outcome).toMatchObject({ status: 'compensated', error: { code: 'SAGA_DEADLINE_EXCEEDED' } });
    expect(isSagaDeadlineExceededError(stepSignal?.reason)).toBe(true);
    expect((await orchestrator.get('d'))?.deadlineAt).toBe(2_000);
  });

  it('reports a timeout error that says which step timed out', async () => {
    const clock = new ManualClock(0);
    const saga = defineSaga('slow').step('b', {
      run: ({ signal }) => clock.sleep(9_000, signal),
      timeoutMs: 100,
    });
    const logger = recordingLogger();
    const outcome = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock, logger }).start(
      'slow',
      undefined,
    );
    await clock.tickAsync(100);
    expect((await outcome).status).toBe('compensated');
    const failure = logger.entries.find((entry) => entry.message.startsWith('Saga step failed'));
    expect(isTimeoutError(failure?.fields.error)).toBe(true);
    expect((failure?.fields.error as Error).message).toContain('step "b"');
  });
});

describe('SagaOrchestrator: idempotent start', () => {
  it('runs a saga once when started twice with one id and returns the same outcome', async () => {
    const { orchestrator, services } = setup();
    const first = await orchestrator.start('order', input, { sagaId: 's-1' });
    const second = await orchestrator.start('order', { orderId: 'other', amount: 1 }, { sagaId: 's-1' });
    expect(second).toEqual(first);
    expect(services.orders.calls).toEqual(['do:s-1/create']);
  });

  it('runs a saga once when two starts with one id are concurrent', async () => {
    const { orchestrator, services } = setup();
    const [a, b] = await Promise.all([
      orchestrator.start('order', input, { sagaId: 's-1' }),
      orchestrator.start('order', input, { sagaId: 's-1' }),
    ]);
    expect(a).toEqual(b);
    expect(services.payments.calls).toEqual(['do:s-1/pay']);
  });

  it('runs a saga once when two orchestrators start it concurrently, and both get its outcome', async () => {
    const { clock, store, services, saga } = setup();
    const one = new SagaOrchestrator(store, [saga], { clock, owner: 'one', pollIntervalMs: 50 });
    const two = new SagaOrchestrator(store, [saga], { clock, owner: 'two', pollIntervalMs: 50 });
    const both = Promise.all([
      one.start('order', input, { sagaId: 's-1' }),
      two.start('order', input, { sagaId: 's-1' }),
    ]);
    await clock.tickAsync(200);
    const [a, b] = await both;
    expect(a).toEqual(b);
    expect(a.status).toBe('completed');
    expect(services.orders.calls).toEqual(['do:s-1/create']);
  });

  it('rejects a saga id already used by another saga with a SagaIdConflictError', async () => {
    const { store, clock, services } = setup();
    const other = defineSaga('refund').step('only', { run: () => 1 });
    const orchestrator = new SagaOrchestrator(store, [orderSaga(services), other], { clock });
    await orchestrator.start('refund', undefined, { sagaId: 'x' });
    const error = await orchestrator
      .start('order', input, { sagaId: 'x' })
      .catch((caught: unknown) => caught);
    expect(isSagaIdConflictError(error)).toBe(true);
  });
});

describe('SagaOrchestrator: configuration', () => {
  it('rejects two definitions with one name', () => {
    const saga = defineSaga('dup').step('a', { run: () => 1 });
    expect(() => new SagaOrchestrator(new InMemorySagaStore(), [saga, saga])).toThrow(/unique/);
  });
});
