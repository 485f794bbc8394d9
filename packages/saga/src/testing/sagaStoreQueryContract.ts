import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import type { SagaRecord, SagaStatus, SagaStore } from '../store/sagaStore.js';
import { sagaRecordFixture } from './sagaRecordFixture.js';

type Factory = () => SagaStore | Promise<SagaStore>;

/** The record with another status. */
export const withStatus = (record: SagaRecord, status: SagaStatus): SagaRecord => ({ ...record, status });

const idsOf = (records: readonly SagaRecord[]): string[] => records.map((record) => record.sagaId);

async function seedForClaims(store: SagaStore): Promise<void> {
  await store.create(sagaRecordFixture({ sagaId: 'free-2', createdAt: 2_000 }));
  await store.create(sagaRecordFixture({ sagaId: 'free-1', createdAt: 1_000, status: 'compensating' }));
  await store.create(
    sagaRecordFixture({ sagaId: 'expired', createdAt: 3_000, lease: { owner: 'x', until: 5_000 } }),
  );
  await store.create(
    sagaRecordFixture({ sagaId: 'held', createdAt: 500, lease: { owner: 'x', until: 9_000 } }),
  );
  await store.create(withStatus(sagaRecordFixture({ sagaId: 'done', createdAt: 100 }), 'completed'));
  await store.create(withStatus(sagaRecordFixture({ sagaId: 'failed', createdAt: 100 }), 'failed'));
  await store.create(sagaRecordFixture({ sagaId: 'other', createdAt: 4_000, sagaName: 'refund' }));
}

/** Contract cases: `claimUnfinished` leases what is free, oldest first, once, after a cursor. */
export function defineClaimTests({ it }: ContractRunner, createStore: Factory): void {
  it('leases unfinished sagas whose lease is free or expired, oldest first', async () => {
    const store = await createStore();
    await seedForClaims(store);
    const claimed = await store.claimUnfinished({ owner: 'a', until: 8_000, now: 5_000, limit: 10 });
    assert.deepEqual(idsOf(claimed), ['free-1', 'free-2', 'expired', 'other']);
    assert.ok(
      claimed.every((record) => record.lease?.owner === 'a' && record.lease.until === 8_000),
      'every claimed saga should carry the lease { owner: "a", until: 8000 }',
    );
    assert.deepEqual(
      claimed.map((record) => record.version),
      [2, 2, 2, 2],
    );
  });

  it('claims at most limit sagas and only the names asked for', async () => {
    const store = await createStore();
    await seedForClaims(store);
    const request = { until: 8_000, now: 5_000, sagaNames: ['order'] };
    const some = await store.claimUnfinished({ ...request, owner: 'a', limit: 2 });
    assert.deepEqual(idsOf(some), ['free-1', 'free-2']);
    const rest = await store.claimUnfinished({ ...request, owner: 'b', limit: 10 });
    assert.deepEqual(idsOf(rest), ['expired']);
  });

  it('gives each saga to one of several concurrent claimers', async () => {
    const store = await createStore();
    for (let index = 0; index < 12; index++) {
      await store.create(
        sagaRecordFixture({ sagaId: `s-${String(index).padStart(2, '0')}`, createdAt: index }),
      );
    }
    const claims = await Promise.all(
      ['a', 'b', 'c'].map((owner) => store.claimUnfinished({ owner, until: 8_000, now: 1_000, limit: 5 })),
    );
    const ids = idsOf(claims.flat());
    assert.equal(new Set(ids).size, ids.length, `a saga was claimed twice: ${ids.join(', ')}`);
    assert.equal(ids.length, 12, 'sagas claimed in all');
  });

  it('claims only sagas after the cursor, by createdAt then id', async () => {
    const store = await createStore();
    await seedForClaims(store);
    await store.create(sagaRecordFixture({ sagaId: 'free-0', createdAt: 2_000 }));
    await store.create(sagaRecordFixture({ sagaId: 'free-3', createdAt: 2_000 }));
    const claimed = await store.claimUnfinished({
      owner: 'a',
      until: 8_000,
      now: 5_000,
      limit: 10,
      after: { createdAt: 2_000, sagaId: 'free-0' },
    });
    assert.deepEqual(idsOf(claimed), ['free-2', 'free-3', 'expired', 'other']);
    const before = await store.get('free-0');
    assert.equal(before?.lease, undefined, 'the saga at the cursor itself was leased');
  });

  it('pages forward with a cursor past sagas whose leases were given back', async () => {
    const store = await createStore();
    for (let index = 0; index < 7; index++) {
      await store.create(sagaRecordFixture({ sagaId: `s-${index}`, createdAt: 1_000 + (index % 3) }));
    }
    const seen: string[] = [];
    let after: { createdAt: number; sagaId: string } | undefined;
    for (let page = 0; page < 10; page++) {
      const claimed = await store.claimUnfinished({
        owner: 'a',
        until: 8_000,
        now: 5_000,
        limit: 2,
        ...(after === undefined ? {} : { after }),
      });
      if (claimed.length === 0) break;
      // As a failing resume would: the oldest are free again at once.
      for (const record of claimed) await store.releaseLease(record.sagaId, 'a');
      seen.push(...idsOf(claimed));
      const last = claimed[claimed.length - 1]!;
      after = { createdAt: last.createdAt, sagaId: last.sagaId };
    }
    assert.deepEqual(seen, ['s-0', 's-3', 's-6', 's-1', 's-4', 's-2', 's-5']);
  });
}

/** Contract cases: `list` filters and orders, and hands out copies. */
export function defineListTests({ it }: ContractRunner, createStore: Factory): void {
  it('lists sagas by status, name and limit, oldest first', async () => {
    const store = await createStore();
    await seedForClaims(store);
    assert.deepEqual(idsOf(await store.list({ status: 'failed' })), ['failed']);
    const unfinished = await store.list({ status: ['running', 'compensating'], sagaName: 'order' });
    assert.deepEqual(idsOf(unfinished), ['held', 'free-1', 'free-2', 'expired']);
    assert.deepEqual(idsOf(await store.list({ limit: 2 })), ['done', 'failed']);
    assert.equal((await store.list()).length, 7, 'sagas listed with no query');
  });

  it('returns copies that do not change the stored record when mutated', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const copy = (await store.get('s-1')) as unknown as { status: string; history: unknown[] };
    copy.status = 'completed';
    copy.history.push({ type: 'sagaCompleted', at: 1 });
    const stored = await store.get('s-1');
    assert.ok(stored, 'get found nothing for a stored saga');
    assert.equal(stored.status, 'running', 'changing a returned record changed the stored status');
    assert.equal(stored.history.length, 1, 'changing a returned record changed the stored history');
    assert.equal(stored.history[0]?.type, 'sagaStarted');
  });
}
