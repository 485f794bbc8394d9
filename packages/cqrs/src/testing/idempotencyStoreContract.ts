import { isSerializationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { IdempotencyClaim, IdempotencyStore } from '../idempotency/idempotencyStore.js';

/**
 * Builds the store under test, empty, on `clock`: the suite moves the clock to expire leases,
 * so the store must read time from it. It must keep results for at least 10 minutes.
 */
export type IdempotencyStoreFactory = (clock: ManualClock) => IdempotencyStore | Promise<IdempotencyStore>;

interface Subject {
  readonly store: IdempotencyStore;
  readonly clock: ManualClock;
}

/** Claims `key` and returns its token; fails the test if the key was not free. */
async function claimToken(store: IdempotencyStore, key: string, leaseMs = 500): Promise<string> {
  const claim = await store.claim(key, leaseMs);
  if (claim.status !== 'claimed') throw new Error(`expected to claim "${key}" but it was ${claim.status}`);
  return claim.token;
}

/**
 * The behaviour every {@link IdempotencyStore} must have, as a vitest suite: one holder per
 * key, owner tokens on renew, complete and release, lease expiry and takeover, and values kept
 * exactly as PostgreSQL keeps them (copies; what it cannot hold refused with core's
 * `SerializationError` before any effect). Call it from a test file of your store.
 *
 * @param name Names the suite.
 * @param createStore Returns an empty store that reads time from the given clock.
 * @example
 * ```ts
 * idempotencyStoreContract('RedisIdempotencyStore', (clock) => new RedisIdempotencyStore(redis, { clock }));
 * ```
 */
export function idempotencyStoreContract(name: string, createStore: IdempotencyStoreFactory): void {
  const subject = async (): Promise<Subject> => {
    const clock = new ManualClock(1_000_000);
    return { store: await createStore(clock), clock };
  };
  describe(`IdempotencyStore contract: ${name}`, () => {
    describe('claims', () => defineClaimTests(subject));
    describe('owner tokens', () => defineOwnerTests(subject));
    describe('leases', () => defineLeaseTests(subject));
    describe('values', () => defineValueTests(subject));
  });
}

type Setup = () => Promise<Subject>;

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

function defineLeaseTests(setup: Setup): void {
  it('lets another worker take over a claim whose lease expired', async () => {
    const { store, clock } = await setup();
    await claimToken(store, 'k', 500);
    clock.advance(499);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    clock.advance(1);
    expect((await store.claim('k', 500)).status).toBe('claimed');
  });

  it('does not let a holder whose lease expired release the new holder’s claim', async () => {
    const { store, clock } = await setup();
    const old = await claimToken(store, 'k', 100);
    clock.advance(100);
    await claimToken(store, 'k', 500);
    expect(await store.release('k', old)).toBe(false);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
  });

  it('does not let a holder whose lease expired overwrite the new holder’s claim or result', async () => {
    const { store, clock } = await setup();
    const old = await claimToken(store, 'k', 100);
    clock.advance(100);
    const current = await claimToken(store, 'k', 500);
    expect(await store.complete('k', old, 'stale')).toBe(false);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    expect(await store.complete('k', current, 'fresh')).toBe(true);
    expect(await store.complete('k', old, 'stale')).toBe(false);
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: 'fresh' });
  });

  it('lets a holder whose lease ran out complete when nobody took over', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    clock.advance(1_000);
    expect(await store.complete('k', token, 'late')).toBe(true);
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: 'late' });
  });

  it('extends the lease on renew, so nobody takes the key over while the holder works', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    clock.advance(90);
    expect(await store.renew('k', token, 100)).toBe(true);
    clock.advance(90);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    clock.advance(10);
    expect((await store.claim('k', 500)).status).toBe('claimed');
  });

  it('refuses to renew for a token that lost, completed or released the key', async () => {
    const { store, clock } = await setup();
    const lost = await claimToken(store, 'lost', 100);
    clock.advance(100);
    await claimToken(store, 'lost', 500);
    expect(await store.renew('lost', lost, 500)).toBe(false);

    const done = await claimToken(store, 'done');
    await store.complete('done', done, 1);
    expect(await store.renew('done', done, 500)).toBe(false);
    expect(await store.claim('done', 500)).toEqual({ status: 'completed', result: 1 });

    const released = await claimToken(store, 'released');
    await store.release('released', released);
    expect(await store.renew('released', released, 500)).toBe(false);
    expect(await store.renew('never-claimed', 'x', 500)).toBe(false);
  });

  it('renews a claim whose lease ran out while nobody took it over', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    clock.advance(150);
    expect(await store.renew('k', token, 100)).toBe(true);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
  });
}

function defineValueTests(setup: Setup): void {
  it('hands out copies: changing a stored or returned result changes nothing stored', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    const result = { items: [{ qty: 1 }] };
    await store.complete('k', token, result);
    result.items[0]!.qty = 99;
    const first = (await store.claim('k', 500)) as Extract<IdempotencyClaim, { status: 'completed' }>;
    (first.result as typeof result).items.push({ qty: 2 });
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: { items: [{ qty: 1 }] } });
  });

  it('changes values as JSON does: a Date becomes its ISO string, a class instance a plain object', async () => {
    const { store } = await setup();
    class Receipt {
      constructor(readonly amount: number) {}
    }
    const token = await claimToken(store, 'k');
    await store.complete('k', token, { at: new Date(0), receipt: new Receipt(5), skipped: undefined });
    const claim = await store.claim('k', 500);
    expect(claim).toEqual({
      status: 'completed',
      result: { at: '1970-01-01T00:00:00.000Z', receipt: { amount: 5 } },
    });
    expect((claim as { result: { receipt: object } }).result.receipt.constructor).toBe(Object);
  });

  it('refuses what PostgreSQL cannot hold with a SerializationError before changing anything', async () => {
    const { store } = await setup();
    const refused: unknown[] = [
      { text: 'nul\u0000' },
      { text: 'lone \uDC00' },
      { amount: 1n },
      { ratio: Number.NaN },
      { lookup: new Map([['a', 1]]) },
      { tags: new Set(['a']) },
    ];
    const token = await claimToken(store, 'k');
    for (const value of refused) {
      const error = await store.complete('k', token, value).catch((caught: unknown) => caught);
      expect(isSerializationError(error)).toBe(true);
      expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    }
    expect(await store.complete('k', token, { ok: true })).toBe(true);
    expect(await store.claim('k', 500)).toEqual({ status: 'completed', result: { ok: true } });
  });
}
