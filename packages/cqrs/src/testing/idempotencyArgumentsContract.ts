import { isSerializationError, isValidationError } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { expect, it } from 'vitest';
import { MAX_IDEMPOTENCY_KEY_BYTES } from '../idempotency/idempotencyArguments.js';
import type { IdempotencyStore } from '../idempotency/idempotencyStore.js';
import { claimToken } from './idempotencyContractSetup.js';
import type { Setup } from './idempotencyContractSetup.js';

const LIMIT = MAX_IDEMPOTENCY_KEY_BYTES;
/** `count` different three-byte characters, so PostgreSQL cannot compress the key. */
const cjk = (count: number): string =>
  Array.from({ length: count }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');

/** Keys of exactly the limit in UTF-8 bytes: one-, three- and four-byte characters. */
const LONGEST_KEYS = ['k'.repeat(LIMIT), cjk((LIMIT - 1) / 3) + 'k', '\u{1F600}'.repeat(LIMIT / 4)];
/** Keys one byte over the limit. */
const TOO_LONG_KEYS = [
  'k'.repeat(LIMIT + 1),
  cjk((LIMIT - 1) / 3) + 'kk',
  '\u{1F600}'.repeat(LIMIT / 4) + 'k',
];
const BAD_LEASES: unknown[] = [Number.NaN, 0, -1, -Infinity, Infinity, '100', undefined];

/** Every method of `store` called with `key` (and a valid lease, token and result). */
function everyMethod(store: IdempotencyStore, key: string): [string, () => Promise<unknown>][] {
  return [
    ['claim', () => store.claim(key, 500)],
    ['renew', () => store.renew(key, 'token', 500)],
    ['complete', () => store.complete(key, 'token', 'result')],
    ['release', () => store.release(key, 'token')],
  ];
}

async function issuePaths(call: () => Promise<unknown>): Promise<string[]> {
  const error = await call().catch((caught: unknown) => caught);
  expect(isValidationError(error), `expected a ValidationError, got ${String(error)}`).toBe(true);
  return (error as ValidationError).issues.map((issue) => issue.path.join('.'));
}

/** How keys and leases are checked, and in which order, for `idempotencyStoreContract`. */
export function defineArgumentTests(setup: Setup): void {
  defineKeyTests(setup);
  defineLeaseArgumentTests(setup);
  defineOrderTests(setup);
}

function defineKeyTests(setup: Setup): void {
  it(`accepts keys of exactly ${LIMIT} UTF-8 bytes, multibyte ones included`, async () => {
    const { store } = await setup();
    for (const key of LONGEST_KEYS) {
      const token = await claimToken(store, key);
      expect(await store.renew(key, token, 500)).toBe(true);
      expect(await store.complete(key, token, key.length)).toBe(true);
      expect(await store.claim(key, 500)).toEqual({ status: 'completed', result: key.length });
    }
  });

  it(`refuses a key over ${LIMIT} UTF-8 bytes in every method with a ValidationError naming the key`, async () => {
    const { store } = await setup();
    for (const key of TOO_LONG_KEYS) {
      for (const [method, call] of everyMethod(store, key)) {
        expect(await issuePaths(call), method).toEqual(['key']);
      }
    }
    const error = await store.claim(TOO_LONG_KEYS[0]!, 500).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain(`${LIMIT + 1}`);
  });

  it('refuses a key that is not a string with a ValidationError', async () => {
    const { store } = await setup();
    for (const key of [42, null, undefined, { id: 'k' }] as unknown[]) {
      expect(await issuePaths(() => store.claim(key as string, 500))).toEqual(['key']);
    }
  });

  it('refuses a key PostgreSQL cannot hold in renew, complete and release as in claim', async () => {
    const { store } = await setup();
    for (const key of ['nul\u0000key', 'lone\uD800surrogate']) {
      for (const [method, call] of everyMethod(store, key)) {
        const error = await call().catch((caught: unknown) => caught);
        expect(isSerializationError(error), method).toBe(true);
      }
    }
  });
}

function defineLeaseArgumentTests(setup: Setup): void {
  it('refuses a claim whose leaseMs is not a finite number above zero, claiming nothing', async () => {
    const { store } = await setup();
    for (const leaseMs of BAD_LEASES) {
      expect(await issuePaths(() => store.claim('k', leaseMs as number)), String(leaseMs)).toEqual([
        'leaseMs',
      ]);
    }
    expect((await store.claim('k', 500)).status).toBe('claimed');
  });

  it('refuses a renew whose leaseMs is not a finite number above zero, leaving the lease as it was', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    for (const leaseMs of BAD_LEASES) {
      expect(await issuePaths(() => store.renew('k', token, leaseMs as number)), String(leaseMs)).toEqual([
        'leaseMs',
      ]);
    }
    clock.advance(99);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
    clock.advance(1);
    expect((await store.claim('k', 500)).status).toBe('claimed');
  });

  it('lists a bad key and a bad leaseMs in one ValidationError', async () => {
    const { store } = await setup();
    expect(await issuePaths(() => store.claim(TOO_LONG_KEYS[0]!, Number.NaN))).toEqual(['key', 'leaseMs']);
  });
}

function defineOrderTests(setup: Setup): void {
  it('checks an aborted signal before the arguments: a bad key, lease or result still rejects with the abort reason', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    const reason = new Error('stop');
    const aborted = AbortSignal.abort(reason);
    for (const bad of ['nul\u0000key', TOO_LONG_KEYS[0]!]) {
      await expect(store.claim(bad, 500, aborted)).rejects.toBe(reason);
      await expect(store.renew(bad, token, 500, aborted)).rejects.toBe(reason);
      await expect(store.complete(bad, token, 'result', aborted)).rejects.toBe(reason);
      await expect(store.release(bad, token, aborted)).rejects.toBe(reason);
    }
    await expect(store.claim('other', Number.NaN, aborted)).rejects.toBe(reason);
    await expect(store.renew('k', token, Number.NaN, aborted)).rejects.toBe(reason);
    await expect(store.complete('k', token, { amount: 1n }, aborted)).rejects.toBe(reason);
    expect(await store.claim('k', 500)).toEqual({ status: 'pending' });
  });

  it('checks the key before the result: a bad key with a bad result is refused for the key', async () => {
    const { store } = await setup();
    const error = await store.complete(TOO_LONG_KEYS[0]!, 'token', { amount: 1n }).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
  });
}
