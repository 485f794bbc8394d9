import { isValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSaga } from '../definition/defineSaga.js';
import { isSagaIdConflictError } from '../errors/errors.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { SagaWorker } from '../worker/sagaWorker.js';

function setup() {
  const clock = new ManualClock(0);
  const store = new InMemorySagaStore();
  const calls: string[] = [];
  const order = defineSaga('order')
    .input(z.object({ orderId: z.string() }))
    .step('reserve', { run: ({ idempotencyKey }) => void calls.push(idempotencyKey) });
  const refund = defineSaga('refund').step('pay back', { run: () => undefined });
  const orchestrator = new SagaOrchestrator(store, [order, refund], { clock, owner: 'api' });
  return { clock, store, calls, orchestrator };
}

describe('SagaOrchestrator.enqueue', () => {
  it('stores the saga unleased and runs nothing in the calling process', async () => {
    const { store, calls, orchestrator } = setup();
    const queued = await orchestrator.enqueue('order', { orderId: 'o-1' }, { sagaId: 's-1' });
    expect(queued).toEqual({ sagaId: 's-1', created: true });
    const record = await store.get('s-1');
    expect(record).toMatchObject({ status: 'running', input: { orderId: 'o-1' }, version: 1 });
    expect(record?.lease).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('is run by a saga worker at its next recovery pass', async () => {
    const { clock, store, calls, orchestrator } = setup();
    const worker = new SagaWorker(orchestrator, { recoverEveryMs: 1_000, clock });
    await worker.start();
    await orchestrator.enqueue('order', { orderId: 'o-1' }, { sagaId: 's-1' });
    await clock.tickAsync(1_000);
    await worker.stop();
    expect((await store.get('s-1'))?.status).toBe('completed');
    expect(calls).toEqual(['s-1/reserve']);
  });

  it('stores a saga once when enqueued twice with one id', async () => {
    const { orchestrator } = setup();
    await orchestrator.enqueue('order', { orderId: 'o-1' }, { sagaId: 's-1' });
    await expect(orchestrator.enqueue('order', { orderId: 'o-2' }, { sagaId: 's-1' })).resolves.toEqual({
      sagaId: 's-1',
      created: false,
    });
  });

  it('refuses an id that belongs to a saga of another name', async () => {
    const { orchestrator } = setup();
    await orchestrator.enqueue('order', { orderId: 'o-1' }, { sagaId: 's-1' });
    const error: unknown = await orchestrator
      .enqueue('refund', undefined as never, { sagaId: 's-1' })
      .catch((e: unknown) => e);
    expect(isSagaIdConflictError(error)).toBe(true);
  });

  it('refuses input its schema rejects and stores nothing', async () => {
    const { store, orchestrator } = setup();
    const error: unknown = await orchestrator
      .enqueue('order', { orderId: 42 } as never, { sagaId: 's-1' })
      .catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect(await store.get('s-1')).toBeUndefined();
  });

  it('refuses an aborted signal and a bad saga id before storing anything', async () => {
    const { store, orchestrator } = setup();
    const aborted = AbortSignal.abort(new Error('gone'));
    await expect(
      orchestrator.enqueue('order', { orderId: 'o-1' }, { sagaId: 's-1', signal: aborted }),
    ).rejects.toThrow('gone');
    await expect(orchestrator.enqueue('order', { orderId: 'o-1' }, { sagaId: '' })).rejects.toSatisfy(
      isValidationError,
    );
    expect(await store.get('s-1')).toBeUndefined();
  });
});
