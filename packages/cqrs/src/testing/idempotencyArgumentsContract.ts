import assert from 'node:assert/strict';
import { isSerializationError, isValidationError } from '@keel/core';
import type { ValidationError } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import { MAX_IDEMPOTENCY_KEY_BYTES } from '../idempotency/idempotencyArguments.js';
import type { IdempotencyStore } from '../idempotency/idempotencyStore.js';
import { assertEqual, assertRejectsWith } from '@keel/core/testing';
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
  assert.equal(isValidationError(error), true, `expected a ValidationError, got ${String(error)}`);
  return (error as ValidationError).issues.map((issue) => issue.path.join('.'));
}

/** How keys and leases are checked, and in which order, for `idempotencyStoreContract`. */
export function defineArgumentTests(runner: ContractRunner, setup: Setup): void {
  defineKeyTests(runner, setup);
  defineLeaseArgumentTests(runner, setup);
  defineOrderTests(runner, setup);
}

function defineKeyTests({ it }: ContractRunner, setup: Setup): void {
  it(`accepts keys of exactly ${LIMIT} UTF-8 bytes, multibyte ones included`, async () => {
    const { store } = await setup();
    for (const key of LONGEST_KEYS) {
      const token = await claimToken(store, key);
      assert.equal(
        await store.renew(key, token, 500),
        true,
        'renew by the holder of a longest key returned false',
      );
      assert.equal(
        await store.complete(key, token, key.length),
        true,
        'complete by the holder of a longest key returned false',
      );
      assertEqual(await store.claim(key, 500), { status: 'completed', result: key.length });
    }
  });

  it(`refuses a key over ${LIMIT} UTF-8 bytes in every method with a ValidationError naming the key`, async () => {
    const { store } = await setup();
    for (const key of TOO_LONG_KEYS) {
      for (const [method, call] of everyMethod(store, key)) {
        assertEqual(await issuePaths(call), ['key'], method);
      }
    }
    const error = await store.claim(TOO_LONG_KEYS[0]!, 500).catch((caught: unknown) => caught);
    const { message } = error as Error;
    assert.ok(
      message.includes(`${LIMIT + 1}`),
      `expected the message to give the key’s ${LIMIT + 1} bytes: ${message}`,
    );
  });

  it('refuses a key that is not a string with a ValidationError', async () => {
    const { store } = await setup();
    for (const key of [42, null, undefined, { id: 'k' }] as unknown[]) {
      assertEqual(
        await issuePaths(() => store.claim(key as string, 500)),
        ['key'],
        `key ${String(JSON.stringify(key))}`,
      );
    }
  });

  it('refuses a key PostgreSQL cannot hold in renew, complete and release as in claim', async () => {
    const { store } = await setup();
    for (const key of ['nul\u0000key', 'lone\uD800surrogate']) {
      for (const [method, call] of everyMethod(store, key)) {
        const error = await call().catch((caught: unknown) => caught);
        assert.equal(
          isSerializationError(error),
          true,
          `${method}: expected a SerializationError, got ${String(error)}`,
        );
      }
    }
  });
}

function defineLeaseArgumentTests({ it }: ContractRunner, setup: Setup): void {
  it('refuses a claim whose leaseMs is not a finite number above zero, claiming nothing', async () => {
    const { store } = await setup();
    for (const leaseMs of BAD_LEASES) {
      assertEqual(await issuePaths(() => store.claim('k', leaseMs as number)), ['leaseMs'], String(leaseMs));
    }
    assert.equal((await store.claim('k', 500)).status, 'claimed');
  });

  it('refuses a renew whose leaseMs is not a finite number above zero, leaving the lease as it was', async () => {
    const { store, clock } = await setup();
    const token = await claimToken(store, 'k', 100);
    for (const leaseMs of BAD_LEASES) {
      assertEqual(
        await issuePaths(() => store.renew('k', token, leaseMs as number)),
        ['leaseMs'],
        String(leaseMs),
      );
    }
    clock.advance(99);
    assertEqual(await store.claim('k', 500), { status: 'pending' });
    clock.advance(1);
    assert.equal((await store.claim('k', 500)).status, 'claimed');
  });

  it('lists a bad key and a bad leaseMs in one ValidationError', async () => {
    const { store } = await setup();
    assertEqual(await issuePaths(() => store.claim(TOO_LONG_KEYS[0]!, Number.NaN)), ['key', 'leaseMs']);
  });
}

function defineOrderTests({ it }: ContractRunner, setup: Setup): void {
  it('checks an aborted signal before the arguments: a bad key, lease or result still rejects with the abort reason', async () => {
    const { store } = await setup();
    const token = await claimToken(store, 'k');
    const reason = new Error('stop');
    const aborted = AbortSignal.abort(reason);
    for (const bad of ['nul\u0000key', TOO_LONG_KEYS[0]!]) {
      await assertRejectsWith(store.claim(bad, 500, aborted), reason);
      await assertRejectsWith(store.renew(bad, token, 500, aborted), reason);
      await assertRejectsWith(store.complete(bad, token, 'result', aborted), reason);
      await assertRejectsWith(store.release(bad, token, aborted), reason);
    }
    await assertRejectsWith(store.claim('other', Number.NaN, aborted), reason);
    await assertRejectsWith(store.renew('k', token, Number.NaN, aborted), reason);
    await assertRejectsWith(store.complete('k', token, { amount: 1n }, aborted), reason);
    assertEqual(await store.claim('k', 500), { status: 'pending' });
  });

  it('checks the key before the result: a bad key with a bad result is refused for the key', async () => {
    const { store } = await setup();
    const error = await store.complete(TOO_LONG_KEYS[0]!, 'token', { amount: 1n }).catch((e: unknown) => e);
    assert.equal(isValidationError(error), true, `expected a ValidationError, got ${String(error)}`);
  });
}
