import assert from 'node:assert/strict';
import { isSerializationError, ManualClock } from '@keel/core';
import { contractRunner } from '@keel/core/testing';
import type { ContractOptions, ContractRunner } from '@keel/core/testing';
import { assertEqual, assertRejectsWith } from '@keel/core/testing';
import { defineArgumentTests } from './idempotencyArgumentsContract.js';
import { defineBusTests } from './idempotencyBusContract.js';
import { CONTRACT_TTL_MS, claimToken } from './idempotencyContractSetup.js';
import type { IdempotencyStoreFactory, Setup, Subject } from './idempotencyContractSetup.js';
import { defineLeaseTests } from './idempotencyLeaseContract.js';
import { defineValueTests } from './idempotencyValuesContract.js';

/**
 * The behaviour every {@link IdempotencyStore} must have, as a test suite for any runner: one
 * holder per key, also among concurrent claimers and takeovers; owner tokens on renew, complete
 * and release; lease expiry and takeover; results kept for the store's ttl and then forgotten;
 * values kept exactly as PostgreSQL keeps them (copies; what it cannot hold refused with core's
 * `SerializationError` before any effect); arguments checked the same way and in the same order
 * (an aborted signal first, then keys up to `MAX_IDEMPOTENCY_KEY_BYTES` and leases that are
 * finite numbers above zero, refused with core's `ValidationError` before any effect); and,
 * through command buses sharing the store, a repeated command run once. Call it from a test file
 * of your store. Its checks use `node:assert`, so it needs no particular test runner.
 *
 * @param name Names the suite.
 * @param createStore Returns an empty store that reads time from the given clock and keeps
 *   results for `settings.ttlMs`.
 * @param options `runner`: the test functions to register with; by default the global
 *   `describe`, `it`, `beforeEach` and `afterEach` (Jest, Mocha, Bun, Vitest with `globals: true`).
 * @throws `ValidationError` from `@keel/core` when no runner is given and the globals are missing.
 * @example
 * ```ts
 * // With the runner's globals (Jest, Mocha, Bun, Vitest with `globals: true`):
 * idempotencyStoreContract('RedisIdempotencyStore', (clock, { ttlMs }) => new RedisIdempotencyStore(redis, { clock, ttlMs }));
 *
 * // Under node:test (or Vitest without globals), pass the runner's functions:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * idempotencyStoreContract(
 *   'InMemoryIdempotencyStore',
 *   (clock, { ttlMs }) => new InMemoryIdempotencyStore({ clock, ttlMs }),
 *   { runner: { describe, it, beforeEach, afterEach } },
 * );
 * ```
 */
export function idempotencyStoreContract(
  name: string,
  createStore: IdempotencyStoreFactory,
  options?: ContractOptions,
): void {
  const runner = contractRunner(options);
  const { describe } = runner;
  const subject = async (): Promise<Subject> => {
    const clock = new ManualClock(1_000_000);
    return { store: await createStore(clock, { ttlMs: CONTRACT_TTL_MS }), clock };
  };
  describe(`IdempotencyStore contract: ${name}`, () => {
    describe('claims', () => defineClaimTests(runner, subject));
    describe('owner tokens', () => defineOwnerTests(runner, subject));
    describe('leases and expiry', () => defineLeaseTests(runner, subject));
    describe('values', () => defineValueTests(runner, subject));
    describe('arguments', () => defineArgumentTests(runner, subject));
    describe('command buses sharing the store', () => defineBusTests(runner, subject));
  });
}

function defineClaimTests({ it }: ContractRunner, setup: Setup): void {
  it('claims a new key with a token, then reports it pending to everyone else', async () => {
    const { store } = await setup();
    const first = await store.claim('k', 500);
    assert.equal(first.status, 'claimed');
    const { token } = first as { token?: unknown };
    assert.equal(typeof token, 'string', `expected a string token, got ${String(token)}`);
    assert.ok((token as string).length > 0, 'the token is empty');
    assertEqual(await store.claim('k', 500), { status: 'pending' });
  });

  it('gives a key to exactly one of many concurrent claimers', async () => {
    const { store } = await setup();
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim('k', 500)));
    assert.equal(claims.filter((claim) => claim.status === 'claimed').length, 1);
    assert.equal(claims.filter((claim) => claim.status === 'pending').length, 7);
  });

  it('keeps keys apart', async () => {
    const { store } = await setup();
    await claimToken(store, 'a');
    assert.equal((await store.claim('b', 500)).status, 'claimed');
  });

  it('returns the completed result to later claims, undefined and null included', async () => {
    const { store } = await setup();
    for (const [key, result] of [
      ['a', { paid: 5, items: [1, 'two', { three: true }] }],
      ['b', undefined],
      ['c', null],
      ['d', 'text'],
      ['e', 0],
    ] as const) {
      const token = await claimToken(store, key);
      assert.equal(
        await store.complete(key, token, result),
        true,
        `complete of key ${key} by its holder returned false`,
      );
      assertEqual(await store.claim(key, 500), { status: 'completed', result });
    }
  });

  it('rejects a claim with the abort reason when the signal is already aborted, and claims nothing', async () => {
    const { store } = await setup();
    const reason = new Error('stop');
    await assertRejectsWith(store.claim('k', 500, AbortSignal.abort(reason)), reason);
    assert.equal((await store.claim('k', 500)).status, 'claimed');
  });

  it('rejects renew, complete and release with the abort reason when the signal is already aborted, changing nothing', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    const reason = new Error('stop');
    const aborted = AbortSignal.abort(reason);
    await assertRejectsWith(store.renew('k', token, 500, aborted), reason);
    await assertRejectsWith(store.complete('k', token, 'result', aborted), reason);
    await assertRejectsWith(store.release('k', token, aborted), reason);
    assertEqual(await store.claim('k', 500), { status: 'pending' });
    assert.equal(
      await store.release('k', token),
      true,
      'release by the holder after the aborted calls returned false',
    );
  });

  it('refuses a key PostgreSQL cannot hold with a SerializationError', async () => {
    const { store } = await setup();
    for (const key of ['nul\u0000key', 'lone\uD800surrogate']) {
      const error = await store.claim(key, 500).catch((caught: unknown) => caught);
      assert.equal(isSerializationError(error), true, `expected a SerializationError, got ${String(error)}`);
    }
  });
}

function defineOwnerTests({ it }: ContractRunner, setup: Setup): void {
  it('gives every granted claim a different token', async () => {
    const { store, clock } = await setup();
    const first = await claimToken(store, 'k', 100);
    clock.advance(100);
    const second = await claimToken(store, 'k', 100);
    assert.notEqual(second, first, 'two granted claims got the same token');
  });

  it('frees a claim released by its holder, so the next attempt runs', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    assert.equal(await store.release('k', token), true, 'release by the holder returned false');
    assert.equal((await store.claim('k', 500)).status, 'claimed');
  });

  it('ignores a release with a token that does not hold the key', async () => {
    const { store } = await setup();
    await claimToken(store, 'k');
    assert.equal(
      await store.release('k', 'not-the-owner'),
      false,
      'release with a token that does not hold the key returned true',
    );
    assertEqual(await store.claim('k', 500), { status: 'pending' });
  });

  it('ignores a complete with a token that does not hold the key', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    assert.equal(
      await store.complete('k', 'not-the-owner', 'forged'),
      false,
      'complete with a token that does not hold the key returned true',
    );
    assertEqual(await store.claim('k', 500), { status: 'pending' });
    assert.equal(await store.complete('k', token, 'real'), true, 'complete by the holder returned false');
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'real' });
  });

  it('keeps a completed result when its holder releases or completes again', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    await store.complete('k', token, 'done');
    assert.equal(await store.release('k', token), false, 'release after complete returned true');
    assert.equal(
      await store.complete('k', token, 'again'),
      false,
      'a second complete by the holder returned true',
    );
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'done' });
  });

  it('records a result when nothing is stored for the key', async () => {
    const { store } = await setup();
    assert.equal(
      await store.complete('k', 'any-token', 'kept'),
      true,
      'complete of a key with nothing stored returned false',
    );
    assertEqual(await store.claim('k', 500), { status: 'completed', result: 'kept' });
  });
}
