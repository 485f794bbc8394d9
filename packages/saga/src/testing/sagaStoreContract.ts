import assert from 'node:assert/strict';
import { isConcurrencyError, isNotFoundError, isValidationError } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions, ContractRunner } from '@keel/core/testing';
import type { SagaStore } from '../store/sagaStore.js';
import { assertError } from './contractAssert.js';
import { defineClaimTests, defineListTests, withStatus } from './sagaStoreQueryContract.js';
import { defineRecoveryTests } from './sagaStoreRecoveryContract.js';
import { defineValueTests } from './sagaStoreValueContract.js';
import { sagaRecordFixture } from './sagaRecordFixture.js';

export { sagaRecordFixture } from './sagaRecordFixture.js';

/** Makes an empty store for one test. */
export type SagaStoreFactory = () => SagaStore | Promise<SagaStore>;
type Factory = SagaStoreFactory;

/**
 * The behaviour every {@link SagaStore} must have, as a test suite for any runner. Call it at the
 * top level of a test file of your store; `createStore` must return an empty store each time.
 *
 * It registers its tests with the test runner's global `describe` and `it` (Jest, Mocha, Bun,
 * Vitest with `globals: true`); under `node:test`, or Vitest without globals, pass the runner's
 * functions as `options.runner`. Failures are `node:assert` errors, which every runner reports.
 *
 * @param name - Names the suite: `SagaStore contract: <name>`.
 * @param createStore - Returns a new, empty store for each test.
 * @param options - `runner`: the test runner's `describe`, `it`, `beforeEach`, `afterEach`.
 * @throws {ValidationError} (from `@keel/core`) when no runner is given and no globals exist.
 *
 * @example
 * ```ts
 * // With test globals (Jest, Mocha, Vitest with globals: true):
 * sagaStoreContract('PostgresSagaStore', async () => new PostgresSagaStore(await freshPool()));
 *
 * // Under node:test:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * sagaStoreContract('MySagaStore', () => new MySagaStore(), {
 *   runner: { describe, it, beforeEach, afterEach },
 * });
 * ```
 */
export function sagaStoreContract(
  name: string,
  createStore: SagaStoreFactory,
  options?: ContractOptions,
): void {
  const runner = contractRunner(options);
  const { describe } = runner;
  describe(`SagaStore contract: ${name}`, () => {
    describe('create and get', () => defineCreateTests(runner, createStore));
    describe('save', () => defineSaveTests(runner, createStore));
    describe('leases', () => defineLeaseTests(runner, createStore));
    describe('claimUnfinished', () => defineClaimTests(runner, createStore));
    describe('list', () => defineListTests(runner, createStore));
    describe('values', () => defineValueTests(runner, createStore));
    describe('recovery', () => defineRecoveryTests(runner, createStore));
  });
}

function defineCreateTests({ it }: ContractRunner, createStore: Factory): void {
  it('stores a new saga at version 1 and returns it from get', async () => {
    const store = await createStore();
    const result = await store.create(
      sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }),
    );
    assert.equal(result.created, true, 'create of a new saga should report created: true');
    const stored = await store.get('s-1');
    assert.ok(stored, 'get found nothing for the saga just created');
    assert.equal(stored.sagaId, 's-1');
    assert.equal(stored.version, 1);
    assert.equal(stored.status, 'running');
    assert.equal(stored.lease?.owner, 'a');
    assert.equal(stored.lease?.until, 5_000);
    assert.deepEqual(stored.input, { orderId: 's-1', amount: 10 });
  });

  it('returns undefined from get for an unknown id', async () => {
    const store = await createStore();
    assert.equal(await store.get('missing'), undefined);
  });

  it('does not overwrite an existing saga and returns the stored one instead', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', input: { first: true } }));
    const second = await store.create(sagaRecordFixture({ sagaId: 's-1', input: { first: false } }));
    assert.equal(second.created, false, 'a second create with the same id should report created: false');
    assert.deepEqual(second.record.input, { first: true });
  });

  it('lets exactly one of several concurrent creates with one id succeed', async () => {
    const store = await createStore();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, index) =>
        store.create(sagaRecordFixture({ sagaId: 's-1', input: { index } })),
      ),
    );
    assert.equal(results.filter((result) => result.created).length, 1, 'creates that reported created');
    const winner = results.find((result) => result.created)!.record.input;
    assert.ok(
      results.every((result) => JSON.stringify(result.record.input) === JSON.stringify(winner)),
      'every create should return the record of the one that won',
    );
  });
}

function defineSaveTests({ it }: ContractRunner, createStore: Factory): void {
  it('replaces the state and bumps the version when the expected version matches', async () => {
    const store = await createStore();
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const history = [
      ...record.history,
      { type: 'stepStarted' as const, at: 2_000, step: 'reserve', attempt: 1 },
    ];
    const saved = await store.save({ ...record, history, updatedAt: 2_000 }, 1);
    assert.equal(saved.version, 2);
    assert.deepEqual((await store.get('s-1'))?.history, history);
    assert.equal((await store.get('s-1'))?.updatedAt, 2_000);
  });

  it('rejects a save with a stale version with a ConcurrencyError and keeps the state', async () => {
    const store = await createStore();
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    await store.save({ ...record, status: 'compensating' }, 1);
    const error = await store.save({ ...record, status: 'completed' }, 1).catch((caught: unknown) => caught);
    assertError(error, isConcurrencyError, 'ConcurrencyError');
    assert.equal((await store.get('s-1'))?.status, 'compensating');
  });

  it('lets exactly one of two concurrent saves at one version win', async () => {
    const store = await createStore();
    const { record } = await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const results = await Promise.allSettled([
      store.save({ ...record, status: 'completed' }, 1),
      store.save({ ...record, status: 'compensating' }, 1),
    ]);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1, 'saves that won');
  });

  it('rejects a save of an unknown saga with a NotFoundError', async () => {
    const store = await createStore();
    const error = await store
      .save(sagaRecordFixture({ sagaId: 'missing' }), 1)
      .catch((caught: unknown) => caught);
    assertError(error, isNotFoundError, 'NotFoundError');
  });

  it('never changes the lease on save', async () => {
    const store = await createStore();
    const { record } = await store.create(
      sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }),
    );
    const { lease: _lease, ...withoutLease } = record;
    await store.save({ ...withoutLease, version: 1 }, 1);
    assert.deepEqual((await store.get('s-1'))?.lease, { owner: 'a', until: 5_000 });
  });
}

function defineLeaseTests({ it }: ContractRunner, createStore: Factory): void {
  it('leases a saga without a lease and bumps its version', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const leased = await store.tryAcquireLease('s-1', 'a', 5_000, 1_000);
    assert.ok(leased, 'tryAcquireLease refused a saga without a lease');
    assert.equal(leased.version, 2);
    assert.equal(leased.lease?.owner, 'a');
    assert.equal(leased.lease?.until, 5_000);
  });

  it('refuses a lease that is held until after now, even to its owner', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }));
    assert.equal(await store.tryAcquireLease('s-1', 'b', 9_000, 4_999), undefined, 'leased to another owner');
    assert.equal(
      await store.tryAcquireLease('s-1', 'a', 9_000, 4_999),
      undefined,
      'leased again to its owner',
    );
  });

  it('takes over an expired lease, so the previous owner can no longer save', async () => {
    const store = await createStore();
    const { record } = await store.create(
      sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }),
    );
    const taken = await store.tryAcquireLease('s-1', 'b', 9_000, 5_000);
    assert.equal(taken?.lease?.owner, 'b', 'the expired lease should go to the new owner');
    const error = await store
      .save({ ...record, status: 'completed' }, record.version)
      .catch((caught: unknown) => caught);
    assertError(error, isConcurrencyError, 'ConcurrencyError');
  });

  it('does not lease finished or missing sagas', async () => {
    const store = await createStore();
    await store.create(withStatus(sagaRecordFixture({ sagaId: 's-1' }), 'completed'));
    assert.equal(await store.tryAcquireLease('s-1', 'a', 5_000, 1_000), undefined, 'leased a finished saga');
    assert.equal(
      await store.tryAcquireLease('missing', 'a', 5_000, 1_000),
      undefined,
      'leased a missing saga',
    );
  });

  it('grants a free lease to exactly one of several concurrent owners', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1' }));
    const owners = ['a', 'b', 'c', 'd'];
    const results = await Promise.all(
      owners.map((owner) => store.tryAcquireLease('s-1', owner, 5_000, 1_000)),
    );
    assert.equal(results.filter((result) => result !== undefined).length, 1, 'owners granted the lease');
  });

  it('renews a lease only for its owner', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }));
    assert.equal(await store.renewLease('s-1', 'b', 9_000), false, 'renewed for another owner');
    assert.equal(await store.renewLease('s-1', 'a', 8_000), true, 'refused to renew for its owner');
    assert.deepEqual((await store.get('s-1'))?.lease, { owner: 'a', until: 8_000 });
    assert.equal(await store.renewLease('missing', 'a', 8_000), false, 'renewed a missing saga');
  });

  it('refuses a lease time that is not a finite number and keeps the lease as it was', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }));
    await store.create(sagaRecordFixture({ sagaId: 's-2' }));
    for (const until of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const refusals = await Promise.allSettled([
        store.renewLease('s-1', 'a', until),
        store.tryAcquireLease('s-2', 'b', until, 1_000),
        store.claimUnfinished({ owner: 'b', until, now: 1_000, limit: 10 }),
      ]);
      for (const [index, refusal] of refusals.entries()) {
        assert.equal(refusal.status, 'rejected', `lease call ${index} accepted until = ${until}`);
        assert.ok(
          isValidationError((refusal as PromiseRejectedResult).reason),
          `lease call ${index} refused until = ${until} with something other than a ValidationError`,
        );
      }
    }
    assert.deepEqual((await store.get('s-1'))?.lease, { owner: 'a', until: 5_000 });
    assert.equal((await store.get('s-2'))?.lease, undefined, 'a refused lease time leased the saga');
  });

  it('releases a lease only for its owner', async () => {
    const store = await createStore();
    await store.create(sagaRecordFixture({ sagaId: 's-1', lease: { owner: 'a', until: 5_000 } }));
    await store.releaseLease('s-1', 'b');
    assert.equal((await store.get('s-1'))?.lease?.owner, 'a', 'another owner released the lease');
    await store.releaseLease('s-1', 'a');
    assert.equal((await store.get('s-1'))?.lease, undefined, 'the owner did not release the lease');
    const next = await store.tryAcquireLease('s-1', 'b', 9_000, 1_000);
    assert.equal(next?.lease?.owner, 'b', 'a released lease should be free to take');
  });
}
