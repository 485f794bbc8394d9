import { isCancelledError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { orderSaga, orderServices, recordingLogger, retryPolicy } from './sagaTestKit.fixture.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

const input = { orderId: 'o-1', amount: 42 };

function setup() {
  const clock = new ManualClock(1_000);
  const store = new InMemorySagaStore();
  const services = orderServices();
  const logger = recordingLogger();
  const orchestrator = new SagaOrchestrator(store, [orderSaga(services, { retry: retryPolicy(2) })], {
    clock,
    logger,
    leaseMs: 10_000,
  });
  return { clock, store, services, logger, orchestrator };
}

describe('SagaOrchestrator: events', () => {
  it('emits step and saga events in order after each transition is stored', async () => {
    const { orchestrator, services } = setup();
    services.payments.failAlways = true;
    const seen: string[] = [];
    for (const event of [
      'sagaStarted',
      'stepStarted',
      'stepCompleted',
      'stepFailed',
      'compensating',
      'compensationStarted',
      'compensationCompleted',
      'sagaFinished',
    ] as const) {
      orchestrator.on(event, (payload) =>
        seen.push(`${event}${'step' in payload ? `:${payload.step}` : ''}`),
      );
    }
    await orchestrator.start('order', input, { sagaId: 's-1' });
    expect(seen).toEqual([
      'sagaStarted',
      'stepStarted:create',
      'stepCompleted:create',
      'stepStarted:reserve',
      'stepCompleted:reserve',
      'stepStarted:pay',
      'stepFailed:pay',
      'compensating',
      'compensationStarted:reserve',
      'compensationCompleted:reserve',
      'compensationStarted:create',
      'compensationCompleted:create',
      'sagaFinished',
    ]);
  });

  it('stops calling a listener once its disposer ran', async () => {
    const { orchestrator } = setup();
    const steps: string[] = [];
    const stop = orchestrator.onStepStarted(({ step }) => {
      steps.push(step);
      if (step === 'reserve') stop();
    });
    await orchestrator.start('order', input);
    expect(steps).toEqual(['create', 'reserve']);
  });

  it('reports the final status and error to onSagaFinished and onCompensationFailed', async () => {
    const { orchestrator, services } = setup();
    services.payments.failAlways = true;
    services.orders.failUndoNext = 9;
    const finished: unknown[] = [];
    const failed: unknown[] = [];
    orchestrator.onSagaFinished(({ status, error }) => finished.push({ status, code: error?.code }));
    orchestrator.onCompensationFailed(({ step }) => failed.push(step));
    await orchestrator.start('order', input);
    expect(finished).toEqual([{ status: 'failed', code: 'SERVICE_DOWN' }]);
    expect(failed).toEqual(['create']);
  });

  it('logs a throwing listener and still finishes the saga', async () => {
    const { orchestrator, logger } = setup();
    orchestrator.onStepCompleted(() => {
      throw new Error('listener bug');
    });
    const outcome = await orchestrator.start('order', input);
    expect(outcome.status).toBe('completed');
    expect(logger.entries.filter((entry) => entry.message === 'A saga event listener threw')).toHaveLength(4);
  });
});

describe('SagaOrchestrator: logging', () => {
  it('logs every failed attempt, the step failure and the compensation failure with the errors', async () => {
    const { orchestrator, services, logger } = setup();
    services.payments.failAlways = true;
    services.inventory.failUndoNext = 9;
    await orchestrator.start('order', input, { sagaId: 's-1' });
    const summary = logger.entries.map(
      (entry) => `${entry.level}:${entry.message}:${String(entry.fields.step)}`,
    );
    expect(summary).toEqual([
      'warn:Saga step attempt failed:pay',
      'warn:Saga step attempt failed:pay',
      'warn:Saga step failed; compensating the completed steps:pay',
      'warn:Saga compensation attempt failed:reserve',
      'warn:Saga compensation attempt failed:reserve',
      'error:Saga compensation failed; the saga needs an operator:reserve',
    ]);
    expect(
      logger.entries.every((entry) => entry.fields.error instanceof Error && entry.fields.sagaId === 's-1'),
    ).toBe(true);
  });
});

describe('SagaOrchestrator: status', () => {
  it('summarises a finished saga', async () => {
    const { orchestrator, services } = setup();
    services.payments.failAlways = true;
    await orchestrator.start('order', input, { sagaId: 's-1' });
    expect(await orchestrator.status('s-1')).toMatchObject({
      sagaId: 's-1',
      status: 'compensated',
      completedSteps: ['create', 'reserve'],
      compensatedSteps: ['reserve', 'create'],
      error: { code: 'SERVICE_DOWN' },
    });
    expect(await orchestrator.status('missing')).toBeUndefined();
  });

  it('shows the running step and the lease of a saga in progress', async () => {
    const clock = new ManualClock(0);
    const saga = defineSaga('slow')
      .step('a', { run: () => 1 })
      .step('b', { run: ({ signal }) => clock.sleep(5_000, signal) });
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], {
      clock,
      owner: 'me',
      leaseMs: 3_000,
    });
    const done = orchestrator.start('slow', undefined, { sagaId: 'x' });
    await clock.tickAsync(0);
    expect(await orchestrator.status('x')).toMatchObject({
      status: 'running',
      currentStep: 'b',
      completedSteps: ['a'],
      lease: { owner: 'me' },
    });
    await clock.tickAsync(5_000);
    expect((await done).status).toBe('completed');
    expect((await orchestrator.status('x'))?.lease).toBeUndefined();
  });
});

describe('SagaOrchestrator: cancellation', () => {
  it('rejects at once with the reason of an already aborted signal', async () => {
    const { orchestrator, store } = setup();
    const reason = new Error('stop');
    await expect(orchestrator.start('order', input, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(await store.list()).toEqual([]);
  });

  it('stops on abort, leaves the saga unfinished and releases its lease for recovery', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    let runs = 0;
    const saga = defineSaga('slow').step('b', {
      run: async ({ signal }) => {
        runs++;
        await clock.sleep(5_000, signal);
      },
    });
    const controller = new AbortController();
    const orchestrator = new SagaOrchestrator(store, [saga], { clock });
    const done = orchestrator.start('slow', undefined, { sagaId: 'x', signal: controller.signal });
    await clock.tickAsync(10);
    controller.abort(new Error('shutting down'));
    await expect(done).rejects.toThrow('shutting down');
    expect(await store.get('x')).toMatchObject({ status: 'running' });
    expect((await store.get('x'))?.lease).toBeUndefined();
    const recovering = new SagaOrchestrator(store, [saga], { clock }).recover();
    await clock.tickAsync(5_000);
    expect((await recovering).outcomes.map((outcome) => outcome.status)).toEqual(['completed']);
    expect(runs).toBe(2);
  });

  it('stops running sagas on close and refuses new work', async () => {
    const clock = new ManualClock(0);
    const saga = defineSaga('slow').step('b', { run: ({ signal }) => clock.sleep(5_000, signal) });
    const orchestrator = new SagaOrchestrator(new InMemorySagaStore(), [saga], { clock });
    const done = orchestrator.start('slow', undefined);
    await clock.tickAsync(10);
    await orchestrator.close();
    expect(isCancelledError(await done.catch((caught: unknown) => caught))).toBe(true);
    expect(
      isCancelledError(await orchestrator.start('slow', undefined).catch((caught: unknown) => caught)),
    ).toBe(true);
  });

  it('stops a start that waits for another orchestrator when closed', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const saga = defineSaga('slow').step('b', { run: ({ signal }) => clock.sleep(60_000, signal) });
    const running = new SagaOrchestrator(store, [saga], { clock, owner: 'running' });
    const waiting = new SagaOrchestrator(store, [saga], { clock, owner: 'waiting', pollIntervalMs: 100 });
    void running.start('slow', undefined, { sagaId: 'x' }).catch(() => {});
    await clock.tickAsync(10);
    const joined = waiting.start('slow', undefined, { sagaId: 'x' }).catch((caught: unknown) => caught);
    await clock.tickAsync(300);
    await waiting.close();
    expect(isCancelledError(await joined)).toBe(true);
    await running.close();
  });
});
