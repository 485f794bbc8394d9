import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCommandHandler } from '../decider/commandHandler.js';
import { wallet } from '../decider/wallet.fixture.js';
import type { WalletCommand, WalletState } from '../decider/wallet.fixture.js';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { aggregateStream } from './aggregateStream.js';
import { everyNEvents } from './snapshotPolicy.js';
import type { SnapshotOptions } from './snapshotPolicy.js';
import { InMemorySnapshotStore } from './snapshotStore.js';

const evolve = (state: WalletState, event: RecordedEvent): WalletState =>
  wallet.evolve(state, event as never);
const fold = { initialState: wallet.initialState, evolve };

async function walletWith(deposits: number, snapshots?: SnapshotOptions<WalletState>) {
  const store = new InMemoryEventStore();
  const handle = createCommandHandler(store, wallet, snapshots === undefined ? {} : { snapshots });
  await handle('wallet-1', { type: 'Open', owner: 'Ada' });
  for (let index = 0; index < deposits; index++) await handle('wallet-1', { type: 'Deposit', amount: 1 });
  return store;
}

describe('snapshots', () => {
  it('takes a snapshot once the policy sees N events since the last one', async () => {
    const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(5) };
    await walletWith(11, snapshots);
    // 12 events: snapshots at versions 5 and 10.
    expect((await snapshots.store.load('wallet-1'))?.version).toBe(10);
  });

  it('loads from the latest snapshot and replays only the later events', async () => {
    const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(5) };
    const store = await walletWith(11, snapshots);
    const loaded = await aggregateStream(store, 'wallet-1', { ...fold, snapshots });
    expect(loaded).toMatchObject({ version: 12, snapshotVersion: 10, replayed: 2 });
    expect(loaded.state.balance).toBe(11);
  });

  it('ignores a snapshot of another schema version, rebuilds from events and writes a fresh one', async () => {
    const old = { store: new InMemorySnapshotStore(), policy: everyNEvents(5), schemaVersion: 1 };
    const store = await walletWith(11, old);
    await old.store.save({ ...(await old.store.load('wallet-1'))!, state: { corrupt: true } });
    const current = { ...old, schemaVersion: 2 };
    const loaded = await aggregateStream(store, 'wallet-1', { ...fold, snapshots: current });
    expect(loaded.replayed).toBe(12);
    expect(loaded.state).toEqual({ status: 'open', owner: 'Ada', balance: 11, transactions: 11 });
    expect(await old.store.load('wallet-1')).toMatchObject({
      version: 12,
      schemaVersion: 2,
      state: loaded.state,
    });
  });

  it('follows a custom policy', async () => {
    const snapshots = {
      store: new InMemorySnapshotStore(),
      policy: (context: { state: WalletState }) => context.state.balance === 3,
    };
    await walletWith(5, snapshots);
    expect(await snapshots.store.load('wallet-1')).toMatchObject({ version: 4, state: { balance: 3 } });
  });

  it('stamps snapshots with the clock time', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(1), clock };
    await walletWith(0, snapshots);
    expect((await snapshots.store.load('wallet-1'))?.takenAt).toEqual(new Date(Date.UTC(2026, 0, 1)));
  });

  it('keeps the command succeeding when saving a snapshot fails, and reports the failure', async () => {
    const failures: unknown[] = [];
    const snapshots: SnapshotOptions<WalletState> = {
      store: {
        load: async () => undefined,
        delete: async () => {},
        save: async () => Promise.reject(new Error('disk full')),
      },
      policy: everyNEvents(1),
      onError: (error) => failures.push(error),
    };
    const store = await walletWith(1, snapshots);
    expect(await store.streamVersion('wallet-1')).toBe(2);
    expect(failures).toHaveLength(2);
  });

  it('rejects a snapshot schema version below 1 when the handler is created', () => {
    const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(5), schemaVersion: 0 };
    expect(() => createCommandHandler(new InMemoryEventStore(), wallet, { snapshots })).toThrow(
      /schemaVersion: must be an integer >= 1 and <= 2147483647 \(got 0\)/,
    );
  });

  it('refuses snapshot options without a store or policy when the handler is created, listing both', () => {
    const snapshots = { store: {}, policy: 5 } as unknown as SnapshotOptions<WalletState>;
    expect(() => createCommandHandler(new InMemoryEventStore(), wallet, { snapshots })).toThrow(
      /store: must be a SnapshotStore.*policy: must be a function/,
    );
  });

  it('rejects an interval below 1', () => {
    expect(() => everyNEvents(0)).toThrow(/n: must be an integer >= 1 \(got 0\)/);
  });

  it('rebuilds the same state from snapshot + later events as from all events, for every interval', async () => {
    const command = fc.oneof(
      fc.record({ type: fc.constant('Deposit' as const), amount: fc.integer({ min: -2, max: 50 }) }),
      fc.record({ type: fc.constant('Withdraw' as const), amount: fc.integer({ min: 0, max: 60 }) }),
      fc.constant({ type: 'Close' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands: WalletCommand[]) => {
        for (let interval = 1; interval <= 12; interval++) {
          const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(interval) };
          const store = new InMemoryEventStore();
          const handle = createCommandHandler(store, wallet, { snapshots });
          for (const next of [{ type: 'Open', owner: 'Ada' } as const, ...commands]) {
            await handle('wallet-1', next).catch(() => undefined);
          }
          const full = await aggregateStream(store, 'wallet-1', fold);
          const fromSnapshot = await aggregateStream(store, 'wallet-1', { ...fold, snapshots });
          expect(fromSnapshot.state).toEqual(full.state);
          expect(fromSnapshot.version).toBe(full.version);
          expect(fromSnapshot.replayed).toBeLessThan(interval);
        }
      }),
      { seed: 20261124, numRuns: 60 },
    );
  });
});
