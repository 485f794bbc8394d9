import { isSerializationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { defineArgumentTests } from './idempotencyArgumentsContract.js';
import { defineBusTests } from './idempotencyBusContract.js';
import { CONTRACT_TTL_MS, claimToken } from './idempotencyContractSetup.js';
import type { IdempotencyStoreFactory, Setup, Subject } from './idempotencyContractSetup.js';
import { defineLeaseTests } from './idempotencyLeaseContract.js';
import { defineValueTests } from './idempotencyValuesContract.js';

/**
 * The behaviour every {@link IdempotencyStore} must have, as a vitest suite: one holder per
 * key, also among concurrent claimers and takeovers; owner tokens on renew, complete and
 * release; lease expiry and takeover; results kept for the store's ttl and then forgotten;
 * values kept exactly as PostgreSQL keeps them (copies; what it cannot hold refused with core's
 * `SerializationError` before any effect); arguments checked the same way and in the same
 * order (an aborted signal first, then keys up to `MAX_IDEMPOTENCY_KEY_BYTES` and leases that are
 * finite numbers above zero, refused with core's `ValidationError` before any effect); and,
 * through command buses sharing the store, a repeated command run once. Call it from a test file of your store.
 *
 * @param name Names the suite.
 * @param createStore Returns an empty store that reads time from the given clock and keeps
 *   results for `settings.ttlMs`.
 * @example
 * ```ts
 * idempotencyStoreContract('RedisIdempotencyStore', (clock, { ttlMs }) => new RedisIdempotencyStore(redis, { clock, ttlMs }));
 * ```
 */
export function idempotencyStoreContract(name: string, createStore: IdempotencyStoreFactory): void {
  const subject = async (): Promise<Subject> => {
    const clock = new ManualClock(1_000_000);
    return { store: await createStore(clock, { ttlMs: CONTRACT_TTL_MS }), clock };
  };
  describe(`IdempotencyStore contract: ${name}`, () => {
    describe('claims', () => defineClaimTests(subject));
    describe('owner tokens', () => defineOwnerTests(subject));
    describe('leases and expiry', () => defineLeaseTests(subject));
    describe('values', () => defineValueTests(subject));
    describe('arguments', () => defineArgumentTests(subject));
    describe('command buses sharing the store', () => defineBusTests(subject));
  });
}

function defineClaimTests(setup: Setup): void {
  it('claims a new key with a token, then reports it pending to everyone else', async () => {
    const { store } = await setup();
    const first = await store.claim('k', 500);
    expect(first.status).toBe('claimed');
    expect(typeof (first as { token?: unknown }).token).toBe('string');
    expect((first as { token: string }).token.length).toBeGreaterThan(0);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
  });

  it('gives a key to exactly one of many concurrent claimers', async () => {
    const { store } = await setup();
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim('k', 500)));
    expect(claims.filter((claim) => claim.status === 'claimed')).toHaveLength(1);
    expect(claims.filter((claim) => claim.status === 'pending')).toHaveLength(7);
  });

  it('keeps keys apart', async () => {
    const { store } = await setup();
    await claimToken(store, 'a');
    expect((await store.claim('b', 500)).status).toBe('claimed');
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
      expect(await store.complete(key, token, result)).toBe(true);
      expect(await store.claim(key, 500)).toEqual({ status: 'completed', result });
    }
  });

  it('rejects a claim with the abort reason when the signal is already aborted, and claims nothing', async () => {
    const { store } = await setup();
    const reason = new Error('stop');
    await expect(store.claim('k', 500, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect((await store.claim('k', 500)).status).toBe('claimed');
  });

  it('rejects renew, complete and release with the abort reason when the signal is already aborted, changing nothing', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    const reason = new Error('stop');
    const aborted = AbortSignal.abort(reason);
    await expect(store.renew('k', token, 500, aborted)).rejects.toBe(reason);
    await expect(store.complete('k', token, 'result', aborted)).rejects.toBe(reason);
    await expect(store.release('k', token, aborted)).rejects.toBe(reason);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    expect(await store.release('k', token)).toBe(true);
  });

  it('refuses a key PostgreSQL cannot hold with a SerializationError', async () => {
    const { store } = await setup();
    for (const key of ['nul\u0000key', 'lone\uD800surrogate']) {
      const error = await store.claim(key, 500).catch((caught: unknown) => caught);
      expect(isSerializationError(error)).toBe(true);
    }
  });
}

function defineOwnerTests(setup: Setup): void {
  it('gives every granted claim a different token', async () => {
    const { store, clock } = await setup();
    const first = await claimToken(store, 'k', 100);
    clock.advance(100);
    const second = await claimToken(store, 'k', 100);
    expect(second).not.toBe(first);
  });

  it('frees a claim released by its holder, so the next attempt runs', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    expect(await store.release('k', token)).toBe(true);
    expect((await store.claim('k', 500)).status).toBe('claimed');
  });

  it('ignores a release with a token that does not hold the key', async () => {
    const { store } = await setup();
    await claimToken(store, 'k');
    expect(await store.release('k', 'not-the-owner')).toBe(false);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
  });

  it('ignores a complete with a token that does not hold the key', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    expect(await store.complete('k', 'not-the-owner', 'forged')).toBe(false);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    expect(await store.complete('k', token, 'real')).toBe(true);
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: 'real' });
  });

  it('keeps a completed result when its holder releases or completes again', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    await store.complete('k', token, 'done');
    expect(await store.release('k', token)).toBe(false);
    expect(await store.complete('k', token, 'again')).toBe(false);
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: 'done' });
  });

  it('records a result when nothing is stored for the key', async () => {
    const { store } = await setup();
    expect(await store.complete('k', 'any-token', 'kept')).toBe(true);
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: 'kept' });
  });
}
