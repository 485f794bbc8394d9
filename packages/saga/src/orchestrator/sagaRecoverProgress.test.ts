import { KeelError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import type { SagaClaimRequest, SagaRecord } from '../store/sagaStore.js';
import { sagaRecordFixture } from '../testing/sagaRecordFixture.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

/** An in-memory store whose saves of poisoned sagas fail, so they can never be resumed. */
class PoisonedStore extends InMemorySagaStore {
  readonly poisoned = new Set<string>();
  readonly claims: SagaClaimRequest[] = [];
  override async save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    if (this.poisoned.has(record.sagaId)) throw new KeelError('STORE_REFUSED', `refused ${record.sagaId}`);
    return super.save(record, expectedVersion);
  }
  override claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]> {
    this.claims.push(request);
    return super.claimUnfinished(request);
  }
}

/** A store from before claim cursors: it ignores `after`. */
class CursorlessStore extends PoisonedStore {
  override claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]> {
    const { after: _ignored, ...rest } = request;
    return super.claimUnfinished(rest);
  }
}

async function seed(store: InMemorySagaStore, sagaName: string, ids: readonly string[]): Promise<void> {
  for (const [index, sagaId] of ids.entries()) {
    await store.create(sagaRecordFixture({ sagaId, sagaName, createdAt: index }));
  }
}

const quick = defineSaga('quick').step('work', { run: () => 'done' });

describe('SagaOrchestrator.recover(): progress', () => {
  it('reaches every younger saga while the oldest keep failing, pass after pass', async () => {
    const store = new PoisonedStore();
    const ids = ['p-1', 'p-2', 'p-3', 'h-1', 'h-2', 'h-3', 'h-4'];
    await seed(store, 'quick', ids);
    for (const id of ['p-1', 'p-2', 'p-3']) store.poisoned.add(id);
    const clock = new ManualClock(10_000);
    const orchestrator = new SagaOrchestrator(store, [quick], { clock, recoverBatchSize: 2 });
    const report = await orchestrator.recover();
    expect(report.outcomes.map((outcome) => outcome.sagaId).sort()).toEqual(['h-1', 'h-2', 'h-3', 'h-4']);
    expect(report.interrupted.map((entry) => entry.sagaId)).toEqual(['p-1', 'p-2', 'p-3']);
    // Each claim started after the last saga of the previous one.
    expect(store.claims.map((claim) => claim.after?.sagaId)).toEqual([
      undefined,
      'p-2',
      'h-1',
      'h-2',
      'h-3',
      'h-4',
    ]);
  });

  it('holds a saga that failed to resume back for a backoff that doubles, up to its maximum, and forgets it on success', async () => {
    const store = new PoisonedStore();
    await seed(store, 'quick', ['p-1']);
    store.poisoned.add('p-1');
    const clock = new ManualClock(10_000);
    const orchestrator = new SagaOrchestrator(store, [quick], {
      clock,
      owner: 'me',
      recoverBackoffMs: 1_000,
      recoverBackoffMaxMs: 3_000,
    });
    const holds: number[] = [];
    for (let pass = 0; pass < 4; pass++) {
      expect((await orchestrator.recover()).interrupted).toHaveLength(1);
      const lease = (await store.get('p-1'))?.lease;
      expect(lease?.owner).toBe('me');
      holds.push(lease!.until - clock.now());
      expect((await orchestrator.recover()).interrupted).toEqual([]); // held back meanwhile
      await clock.tickAsync(lease!.until - clock.now());
    }
    expect(holds).toEqual([1_000, 2_000, 3_000, 3_000]);
    store.poisoned.clear();
    expect((await orchestrator.recover()).outcomes).toHaveLength(1);
  });

  it('does not let a slow oldest saga hold up the others, and leases only what it runs', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySagaStore();
    const saga = defineSaga('mixed')
      .input<string>()
      .step('work', {
        run: ({ input, signal }) => (input === 'slow' ? clock.sleep(10_000, signal) : undefined),
      });
    for (const [index, sagaId] of ['slow-1', 'slow-2', 'a', 'b', 'c'].entries()) {
      const input = sagaId.startsWith('slow') ? 'slow' : 'fast';
      await store.create(sagaRecordFixture({ sagaId, sagaName: 'mixed', createdAt: index, input }));
    }
    const orchestrator = new SagaOrchestrator(store, [saga], { clock, recoverBatchSize: 2 });
    const recovering = orchestrator.recover();
    await clock.tickAsync(0);
    const leased = (await store.list()).filter((record) => record.lease !== undefined);
    expect(leased.map((record) => record.sagaId)).toEqual(['slow-1', 'slow-2']);
    await clock.tickAsync(10_000);
    const report = await recovering;
    expect(report.outcomes.map((outcome) => outcome.sagaId).sort()).toEqual([
      'a',
      'b',
      'c',
      'slow-1',
      'slow-2',
    ]);

    const store2 = new InMemorySagaStore();
    for (const [index, sagaId] of ['slow-1', 'a', 'b', 'c'].entries()) {
      const input = sagaId.startsWith('slow') ? 'slow' : 'fast';
      await store2.create(sagaRecordFixture({ sagaId, sagaName: 'mixed', createdAt: index, input }));
    }
    const second = new SagaOrchestrator(store2, [saga], { clock, recoverBatchSize: 2 });
    const pass = second.recover();
    await clock.tickAsync(0);
    expect((await store2.list({ status: 'completed' })).map((record) => record.sagaId)).toEqual([
      'a',
      'b',
      'c',
    ]);
    await clock.tickAsync(10_000);
    expect((await pass).outcomes).toHaveLength(4);
  });

  it('still ends, running no saga twice, on a store that ignores the claim cursor', async () => {
    const store = new CursorlessStore();
    await seed(store, 'quick', ['p-1', 'p-2', 'h-1', 'h-2', 'h-3']);
    store.poisoned.add('p-1');
    store.poisoned.add('p-2');
    const runs: string[] = [];
    const counted = defineSaga('quick').step('work', { run: ({ sagaId }) => void runs.push(sagaId) });
    const orchestrator = new SagaOrchestrator(store, [counted], {
      clock: new ManualClock(10_000),
      recoverBatchSize: 2,
    });
    const report = await orchestrator.recover();
    expect(report.outcomes.map((outcome) => outcome.sagaId).sort()).toEqual(['h-1', 'h-2', 'h-3']);
    expect(new Set(runs).size).toBe(runs.length);
  });

  it('runs every saga at once with recoverBatchSize Infinity', async () => {
    const store = new PoisonedStore();
    await seed(store, 'quick', ['a', 'b', 'c']);
    const orchestrator = new SagaOrchestrator(store, [quick], { recoverBatchSize: Infinity });
    expect((await orchestrator.recover()).outcomes).toHaveLength(3);
    expect(store.claims.map((claim) => claim.limit)).toEqual([Infinity]);
  });
});
