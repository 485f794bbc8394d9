import assert from 'node:assert/strict';
import { KeelError, ManualClock } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { defineSaga } from '../definition/defineSaga.js';
import { SagaOrchestrator } from '../orchestrator/sagaOrchestrator.js';
import type {
  SagaClaimRequest,
  SagaCreateResult,
  SagaQuery,
  SagaRecord,
  SagaStore,
} from '../store/sagaStore.js';
import { sagaRecordFixture } from './sagaRecordFixture.js';

type Factory = () => SagaStore | Promise<SagaStore>;

/** Delegates to a store, but every save of a poisoned saga fails, so it can never be resumed. */
class PoisonedStore implements SagaStore {
  constructor(
    readonly inner: SagaStore,
    readonly poisoned: Set<string>,
  ) {}
  create(record: SagaRecord): Promise<SagaCreateResult> {
    return this.inner.create(record);
  }
  get(sagaId: string): Promise<SagaRecord | undefined> {
    return this.inner.get(sagaId);
  }
  async save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    if (this.poisoned.has(record.sagaId))
      throw new KeelError('STORE_REFUSED', `The store refuses saga ${record.sagaId}.`);
    return this.inner.save(record, expectedVersion);
  }
  tryAcquireLease(
    sagaId: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<SagaRecord | undefined> {
    return this.inner.tryAcquireLease(sagaId, owner, until, now);
  }
  renewLease(sagaId: string, owner: string, until: number): Promise<boolean> {
    return this.inner.renewLease(sagaId, owner, until);
  }
  releaseLease(sagaId: string, owner: string): Promise<void> {
    return this.inner.releaseLease(sagaId, owner);
  }
  claimUnfinished(request: SagaClaimRequest): Promise<SagaRecord[]> {
    return this.inner.claimUnfinished(request);
  }
  list(query?: SagaQuery): Promise<SagaRecord[]> {
    return this.inner.list(query);
  }
}

const saga = defineSaga('contract-recovery').step('work', { run: () => 'done' });

/** Contract cases: `recover()` on this store reaches every unfinished saga, whatever the others do. */
export function defineRecoveryTests({ it }: ContractRunner, createStore: Factory): void {
  it('recover() reaches every unfinished saga even when the oldest keep failing to resume', async () => {
    const inner = await createStore();
    const poisoned = new Set(['p-1', 'p-2', 'p-3', 'p-4', 'p-5']);
    const ids = [...poisoned, 'h-1', 'h-2', 'h-3', 'h-4', 'h-5', 'h-6', 'h-7'];
    for (const [index, sagaId] of ids.entries()) {
      await inner.create(sagaRecordFixture({ sagaId, sagaName: saga.name, createdAt: 100 + index }));
    }
    const clock = new ManualClock(10_000);
    const store = new PoisonedStore(inner, poisoned);
    const options = { clock, recoverBatchSize: 2, recoverBackoffMs: 1_000, leaseMs: 5_000 };
    const orchestrator = new SagaOrchestrator(store, [saga], { ...options, owner: 'first' });

    const first = await orchestrator.recover();
    assert.deepEqual(
      first.outcomes.map((outcome) => outcome.sagaId).sort(),
      ids.filter((id) => id.startsWith('h')),
    );
    assert.deepEqual(first.interrupted.map((entry) => entry.sagaId).sort(), [...poisoned]);
    const completed = (await inner.list({ status: 'completed' })).map((record) => record.sagaId);
    assert.equal(completed.length, 7, `completed sagas: ${completed.join(', ')}`);

    // The failing ones are held back for a while, then resumed once the cause is gone.
    const again = await new SagaOrchestrator(store, [saga], { ...options, owner: 'second' }).recover();
    assert.deepEqual(again.outcomes, [], 'sagas held back after failing were resumed at once');
    poisoned.clear();
    await clock.tickAsync(1_000);
    const later = await orchestrator.recover();
    assert.deepEqual(later.outcomes.map((outcome) => outcome.sagaId).sort(), [
      'p-1',
      'p-2',
      'p-3',
      'p-4',
      'p-5',
    ]);
    const unfinished = await inner.list({ status: ['running', 'compensating'] });
    assert.deepEqual(unfinished, [], 'sagas left unfinished');
    await orchestrator.close();
  });
}
