import { ConcurrencyError, isConcurrencyError } from '@keel/core';
import { DomainRuleViolation } from '@keel/ddd';
import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import { collect } from '../eventStore/collect.js';
import { deciderSpec } from '../testing/deciderSpec.js';
import { createCommandHandler } from './commandHandler.js';
import { opened, racingStore } from './racingStore.fixture.js';
import { wallet } from './wallet.fixture.js';

describe('deciderSpec', () => {
  const spec = deciderSpec(wallet);

  it('checks the events a command produces on a history', () => {
    spec
      .given([opened])
      .when({ type: 'Deposit', amount: 5 })
      .then([{ type: 'Deposited', data: { amount: 5 } }]);
  });

  it('checks that a command is rejected with an error type', () => {
    spec
      .given([opened])
      .when({ type: 'Withdraw', amount: 1 })
      .thenThrows(DomainRuleViolation, (error) => expect(error.rule).toBe('wallet.funds'));
  });

  it('fails when the produced events differ from the expected ones', () => {
    expect(() => spec.given([opened]).when({ type: 'Deposit', amount: 5 }).then([])).toThrow();
  });

  it('fails thenThrows when the command succeeds', () => {
    expect(() =>
      spec.given([opened]).when({ type: 'Deposit', amount: 5 }).thenThrows(DomainRuleViolation),
    ).toThrow();
  });

  it('checks the state after the produced events', () => {
    spec
      .given([opened])
      .when({ type: 'Deposit', amount: 7 })
      .thenState({ status: 'open', owner: 'Ada', balance: 7, transactions: 1 });
  });
});

describe('createCommandHandler', () => {
  it('loads the state, decides and appends the events at the loaded version', async () => {
    const store = new InMemoryEventStore();
    const handle = createCommandHandler(store, wallet);
    await handle('wallet-1', { type: 'Open', owner: 'Ada' });
    const result = await handle('wallet-1', { type: 'Deposit', amount: 30 });
    expect(result.state.balance).toBe(30);
    expect(result.nextExpectedVersion).toBe(2);
    expect((await collect(store.readStream('wallet-1'))).map((event) => event.type)).toEqual([
      'Opened',
      'Deposited',
    ]);
  });

  it('appends nothing when the command is rejected', async () => {
    const store = new InMemoryEventStore();
    const handle = createCommandHandler(store, wallet);
    await handle('wallet-1', { type: 'Open', owner: 'Ada' });
    await expect(handle('wallet-1', { type: 'Withdraw', amount: 1 })).rejects.toBeInstanceOf(
      DomainRuleViolation,
    );
    expect(await store.streamVersion('wallet-1')).toBe(1);
  });

  it('adds the given metadata to every event', async () => {
    const store = new InMemoryEventStore();
    const handle = createCommandHandler(store, wallet);
    const result = await handle('wallet-1', { type: 'Open', owner: 'Ada' }, { metadata: { userId: 'u-7' } });
    expect(result.events[0]!.metadata).toEqual({ userId: 'u-7' });
  });

  it('rethrows a version conflict at once by default', async () => {
    const store = racingStore(1);
    const handle = createCommandHandler(store, wallet);
    await expect(handle('wallet-1', { type: 'Open', owner: 'Ada' })).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('reloads and decides again on a conflict when retries are enabled', async () => {
    const store = racingStore(2);
    const handle = createCommandHandler(store, wallet, { maxConflictRetries: 2 });
    await store.inner.appendToStream('wallet-1', [opened]);
    const result = await handle('wallet-1', { type: 'Deposit', amount: 10 });
    // Two rival deposits of 1 landed first; the retried decision saw them.
    expect(result.state.balance).toBe(12);
    expect(result.nextExpectedVersion).toBe(4);
  });

  it('gives up after the allowed retries with the conflict', async () => {
    const store = racingStore(5);
    const handle = createCommandHandler(store, wallet, { maxConflictRetries: 2 });
    await store.inner.appendToStream('wallet-1', [opened]);
    const error = await handle('wallet-1', { type: 'Deposit', amount: 10 }).catch(
      (caught: unknown) => caught,
    );
    expect(isConcurrencyError(error)).toBe(true);
    expect(store.attempts).toBe(3);
  });

  it('does not retry when the caller passed an expected version', async () => {
    const store = racingStore(1);
    const handle = createCommandHandler(store, wallet, { maxConflictRetries: 5 });
    await store.inner.appendToStream('wallet-1', [opened]);
    await expect(
      handle('wallet-1', { type: 'Deposit', amount: 1 }, { expectedVersion: 1 }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(store.attempts).toBe(1);
  });

  it('stops before loading when the signal is aborted', async () => {
    const handle = createCommandHandler(new InMemoryEventStore(), wallet);
    const reason = new Error('cancelled');
    await expect(
      handle('wallet-1', { type: 'Open', owner: 'A' }, { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });

  it('rejects a negative retry count at construction', () => {
    expect(() => createCommandHandler(new InMemoryEventStore(), wallet, { maxConflictRetries: -1 })).toThrow(
      /maxConflictRetries/,
    );
  });
});
