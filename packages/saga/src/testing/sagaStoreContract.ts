import { isConcurrencyError, isNotFoundError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { SagaRecord, SagaStatus, SagaStore } from '../store/sagaStore.js';
import { defineRecoveryTests } from './sagaStoreRecoveryContract.js';
import { defineValueTests } from './sagaStoreValueContract.js';
import { sagaRecordFixture } from './sagaRecordFixture.js';

export { sagaRecordFixture } from './sagaRecordFixture.js';

const withStatus = (record: SagaRecord, status: SagaStatus): SagaRecord => ({ ...record, status });

/**
 * The behaviour every {@link SagaStore} must have, as a vitest suite. Call it from a test file
 * of your store; `createStore` must return an empty store each time.
 *
 * @example
 * ```ts
 * sagaStoreContract('PostgresSagaStore', async () => new PostgresSagaStore(await freshPool()));
 * ```
 */
export function sagaStoreContract(name: string, createStore: () => SagaStore | Promise<SagaStore>): void {
  describe(`SagaStore contract: ${name}`, () => {
    describe('create and get', () => defineCreateTests(createStore));
    describe('save', () => defineSaveTests(createStore));
    describe('leases', () => defineLeaseTests(createStore));
    describe('claimUnfinished', () => defineClaimTests(createStore));
    describe('list', () => defineListTests(createStore));
    describe('values', () => defineValueTests(createStore));
    describe('recovery', () => defineRecoveryTests(createStore));
  });
}

/** Makes an empty store for one test. */
export type SagaStoreFactory = () => SagaStore | Promise<SagaStore>;
type Factory = SagaStoreFactory;

function defineCreateTests(createStore: Factory): void {
  it('stores a new saga at version 1 and returns it from get', async () => {
    const store = await createStore();
    const result = await store.create(
      sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }),
    );
    expect(result.created).toBe(true);
    const stored = await store.get('s-1');
    expect(stored).toMatchObject({
      sagaId: 's-1',
      version: 1,
      status: 'running',
      lease: { owner: 'a', until: 5_000 },
    });
    expect(stored?.input).toEqual({ orderId: 's-1', amount: 10 });
  });

  it('returns undefined from get for an unknown id', async () => {
    const store = await createStore();
    expect(await store.get('missing')).toBeUndefined();
  });

  it('does not overwrite an existing saga and returns the stored one instead', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', input: { first: true } }));
    const second = await store.create(sagaRecordFixture({ sagaId: 's-1', input: { first: false } }));
    expect(second.created).toBe(false);
    expect(second.record.input).toEqual({ first: true });
  });

  it('lets exactly one of several concurrent creates with one id succeed', async () => {
    const store = await createStore();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        store.create(sagaRecordFixture({ sagaId: 's-1', input: { index } })),
      ),
    );
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const winner = results.find((result) => result.created)!.record.input;
    expect(results.every((result) => JSON.stringify(result.record.input) === JSON.stringify(winner))).toBe(
      true,
    );
  });
}

function defineSaveTests(createStore: Factory): void {
  it('replaces the state and bumps the version when the expected version matches', async () => {
    const store = await createStore();
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const history = [
      ...record.history,
      { type: 'stepStarted' as const, at: 2_000, step: 'reserve', attempt: 1 },
    ];
    const saved = await store.save({ ...record, history, updatedAt: 2_000 }, 1);
    expect(saved.version).toBe(2);
    expect((await store.get('s-1'))?.history).toEqual(history);
    expect((await store.get('s-1'))?.updatedAt).toBe(2_000);
  });

  it('rejects a save with a stale version with a ConcurrencyError and keeps the state', async () => {
    const store = await createStore();
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    await store.save({ ...record, status: 'compensating' }, 1);
    const error = await store.save({ ...record, status: 'completed' }, 1).catch((caught: unknown) => caught);
    expect(isConcurrencyError(error)).toBe(true);
    expect((await store.get('s-1'))?.status).toBe('compensating');
  });

  it('lets exactly one of two concurrent saves at one version win', async () => {
    const store = await createStore();
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const results = await Promise.allSettled([
      store.save({ ...record, status: 'completed' }, 1),
      store.save({ ...record, status: 'compensating' }, 1),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('rejects a save of an unknown saga with a NotFoundError', async () => {
    const store = await createStore();
    const error = await store
      .save(sagaRecordFixture({ sagaId: 'missing' }), 1)
      .catch((caught: unknown) => caught);
    expect(isNotFoundError(error)).toBe(true);
  });

  it('never changes the lease on save', async () => {
    const store = await createStore();
    const { record } = await store.create(
      sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }),
    );
    const { lease: _lease, ...withoutLease } = record;
    await store.save({ ...withoutLease, version: 1 }, 1);
    expect((await store.get('s-1'))?.lease).toEqual({ owner: 'a', until: 5_000 });
  });
}

function defineLeaseTests(createStore: Factory): void {
  it('leases a saga without a lease and bumps its version', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const leased = await store.tryAcquireLease('s-1', 'a', 5_000, 1_000);
    expect(leased).toMatchObject({ version: 2, lease: { owner: 'a', until: 5_000 } });
  });

  it('refuses a lease that is held until after now, even to its owner', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }));
    expect(await store.tryAcquireLease('s-1', 'b', 9_000, 4_999)).toBeUndefined();
    expect(await store.tryAcquireLease('s-1', 'a', 9_000, 4_999)).toBeUndefined();
  });

  it('takes over an expired lease, so the previous owner can no longer save', async () => {
    const store = await createStore();
    const { record } = await store.create(
      sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }),
    );
    expect(await store.tryAcquireLease('s-1', 'b', 9_000, 5_000)).toMatchObject({ lease: { owner: 'b' } });
    const error = await store
      .save({ ...record, status: 'completed' }, record.version)
      .catch((caught: unknown) => caught);
    expect(isConcurrencyError(error)).toBe(true);
  });

  it('does not lease finished or missing sagas', async () => {
    const store = await createStore();
    await store.create(withStatus(sagaRecordFixture({ sagaId: 's-1' }), 'completed'));
    expect(await store.tryAcquireLease('s-1', 'a', 5_000, 1_000)).toBeUndefined();
    expect(await store.tryAcquireLease('missing', 'a', 5_000, 1_000)).toBeUndefined();
  });

  it('grants a free lease to exactly one of several concurrent owners', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const owners = ['a', 'b', 'c', 'd'];
    const results = await Promise.all(
      owners.map((owner) => store.tryAcquireLease('s-1', owner, 5_000, 1_000)),
    );
    expect(results.filter((result) => result !== undefined)).toHaveLength(1);
  });

  it('renews a lease only for its owner', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }));
    expect(await store.renewLease('s-1', 'b', 9_000)).toBe(false);
    expect(await store.renewLease('s-1', 'a', 8_000)).toBe(true);
    expect((await store.get('s-1'))?.lease).toEqual({ owner: 'a', until: 8_000 });
    expect(await store.renewLease('missing', 'a', 8_000)).toBe(false);
  });

  it('releases a lease only for its owner', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }));
    await store.releaseLease('s-1', 'b');
    expect((await store.get('s-1'))?.lease?.owner).toBe('a');
    await store.releaseLease('s-1', 'a');
    expect((await store.get('s-1'))?.lease).toBeUndefined();
    expect(await store.tryAcquireLease('s-1', 'b', 9_000, 1_000)).toMatchObject({ lease: { owner: 'b' } });
  });
}

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

function defineClaimTests(createStore: Factory): void {
  it('leases unfinished sagas whose lease is free or expired, oldest first', async () => {
    const store = await createStore();
    await seedForClaims(store);
    const claimed = await store.claimUnfinished({ owner: 'a', until: 8_000, now: 5_000, limit: 10 });
    expect(claimed.map((record) => record.sagaId)).toEqual(['free-1', 'free-2', 'expired', 'other']);
    expect(claimed.every((record) => record.lease?.owner === 'a' && record.lease.until === 8_000)).toBe(true);
    expect(claimed.map((record) => record.version)).toEqual([2, 2, 2, 2]);
  });

  it('claims at most limit sagas and only the names asked for', async () => {
    const store = await createStore();
    await seedForClaims(store);
    const some = await store.claimUnfinished({
      owner: 'a',
      until: 8_000,
      now: 5_000,
      limit: 2,
      sagaNames: ['order'],
    });
    expect(some.map((record) => record.sagaId)).toEqual(['free-1', 'free-2']);
    const rest = await store.claimUnfinished({
      owner: 'b',
      until: 8_000,
      now: 5_000,
      limit: 10,
      sagaNames: ['order'],
    });
    expect(rest.map((record) => record.sagaId)).toEqual(['expired']);
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
    const ids = claims.flat().map((record) => record.sagaId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(12);
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
    expect(claimed.map((record) => record.sagaId)).toEqual(['free-2', 'free-3', 'expired', 'other']);
    const before = await store.get('free-0');
    expect(before?.lease).toBeUndefined();
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
      seen.push(...claimed.map((record) => record.sagaId));
      const last = claimed[claimed.length - 1]!;
      after = { createdAt: last.createdAt, sagaId: last.sagaId };
    }
    expect(seen).toEqual(['s-0', 's-3', 's-6', 's-1', 's-4', 's-2', 's-5']);
  });
}

function defineListTests(createStore: Factory): void {
  it('lists sagas by status, name and limit, oldest first', async () => {
    const store = await createStore();
    await seedForClaims(store);
    const failed = await store.list({ status: 'failed' });
    expect(failed.map((record) => record.sagaId)).toEqual(['failed']);
    const unfinished = await store.list({ status: ['running', 'compensating'], sagaName: 'order' });
    expect(unfinished.map((record) => record.sagaId)).toEqual(['held', 'free-1', 'free-2', 'expired']);
    expect((await store.list({ limit: 2 })).map((record) => record.sagaId)).toEqual(['done', 'failed']);
    expect(await store.list()).toHaveLength(7);
  });

  it('returns copies that do not change the stored record when mutated', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const copy = (await store.get('s-1')) as unknown as { status: string; history: unknown[] };
    copy.status = 'completed';
    copy.history.push({ type: 'sagaCompleted', at: 1 });
    expect(await store.get('s-1')).toMatchObject({ status: 'running', history: [{ type: 'sagaStarted' }] });
  });
}
