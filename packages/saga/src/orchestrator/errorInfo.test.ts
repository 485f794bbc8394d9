import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import { errorInfo } from './errorInfo.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

const refuse = (): never => {
  throw new Error('do not touch');
};

/** A thrown value that throws whatever is asked of it. */
const hostileProxy = (): object =>
  new Proxy({}, { get: refuse, has: refuse, getPrototypeOf: refuse, ownKeys: refuse });

/** An Error whose `name` getter throws. */
function errorWithThrowingName(): Error {
  const error = new Error('card declined');
  Object.defineProperty(error, 'name', { get: refuse });
  return error;
}

/** An Error whose `message` and `code` getters throw. */
function errorWithThrowingFields(): Error {
  const error = new Error('x');
  Object.defineProperty(error, 'message', { get: refuse });
  Object.defineProperty(error, 'code', { get: refuse });
  return error;
}

describe('errorInfo', () => {
  it('describes a Proxy whose traps throw with a generic description instead of throwing', () => {
    expect(errorInfo(hostileProxy())).toEqual({
      name: 'Error',
      message: expect.stringContaining('could not be read'),
      code: 'UNKNOWN_ERROR',
    });
  });

  it('keeps what it can read of an Error whose name getter throws', () => {
    expect(errorInfo(errorWithThrowingName())).toEqual({ name: 'Error', message: 'card declined' });
  });

  it('replaces a message that throws when read and leaves out a code that throws', () => {
    const info = errorInfo(errorWithThrowingFields());
    expect(info).toEqual({ name: 'Error', message: expect.stringContaining('could not be read') });
  });
});

describe('SagaOrchestrator: hostile thrown values', () => {
  for (const [label, hostile] of [
    ['a Proxy whose traps throw', hostileProxy],
    ['an Error whose name getter throws', errorWithThrowingName],
  ] as const) {
    it(`compensates the saga when a step's run throws ${label}`, async () => {
      const store = new InMemorySagaStore();
      const undone: string[] = [];
      const saga = defineSaga('s')
        .step('a', { run: () => 1, compensate: () => void undone.push('a') })
        .step('b', { run: () => Promise.reject(hostile()) });
      const orchestrator = new SagaOrchestrator(store, [saga], { clock: new ManualClock(0) });
      const outcome = await orchestrator.start('s', undefined, { sagaId: 'x' });
      expect(outcome.status).toBe('compensated');
      expect(undone).toEqual(['a']);
      expect((await store.get('x'))?.status).toBe('compensated');
    });

    it(`fails the saga when a compensation throws ${label}`, async () => {
      const store = new InMemorySagaStore();
      const saga = defineSaga('s')
        .step('a', {
          run: () => 1,
          compensate: () => {
            throw hostile();
          },
        })
        .step('b', {
          run: () => {
            throw new Error('card declined');
          },
        });
      const orchestrator = new SagaOrchestrator(store, [saga], { clock: new ManualClock(0) });
      const outcome = await orchestrator.start('s', undefined, { sagaId: 'x' });
      expect(outcome.status).toBe('failed');
      expect((await store.get('x'))?.status).toBe('failed');
    });
  }
});
