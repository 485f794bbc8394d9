// The key tests of the rate-limit store contract: every key has an allowance of its own,
// whatever characters it holds.
import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import { assertSameDecisions, roundRobin, SHIPPED_ALGORITHMS } from './rateLimitModel.js';
import type { RateLimitStoreFactory } from './rateLimitStoreContract.js';

/** Names a plain object inherits: a store keeping state in `{}` would find state for them. */
const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
];

const LONG = 'k'.repeat(10_000);

/**
 * Keys a store must keep apart: long keys that differ only in their last character, the same
 * letter composed and decomposed (NFC and NFD), other scripts and emoji, and characters a store
 * might use as separators or patterns.
 */
const UNUSUAL_KEYS = [
  `${LONG}1`,
  `${LONG}2`,
  '\u00e9',
  'e\u0301',
  'ключ',
  '鍵',
  '🔑',
  '🔑🔑',
  'a b',
  'a:b',
  'a*',
  'a?',
  '[a]',
  '{a}',
];

/** Registers the key tests of `rateLimitStoreContract`: each algorithm on a new store. */
export function defineKeyTests({ it }: ContractRunner, createStore: RateLimitStoreFactory): void {
  it('keeps every key to an allowance of its own', async () => {
    for (const { fixed } of SHIPPED_ALGORITHMS) {
      const store = await createStore();
      const limit = fixed.maxPermits;
      const spent = await assertSameDecisions(store, fixed, roundRobin(['user-1'], limit + 1));
      assert.equal(spent.at(-1)?.allowed, false, `user-1 was granted more than ${limit} permits`);
      const others = await assertSameDecisions(store, fixed, roundRobin(['user-2', 'user-3'], limit));
      assert.ok(
        others.every((decision) => decision.allowed),
        'another key was refused after user-1 spent its allowance',
      );
    }
  });

  it('keeps the state of one key apart for each algorithm', async () => {
    const store = await createStore();
    // Every shipped algorithm on the same key, one after another: each starts from a full
    // allowance, as if the key were new, and spends exactly its own limit.
    for (const { fixed } of SHIPPED_ALGORITHMS) {
      const spent = await assertSameDecisions(
        store,
        fixed,
        roundRobin(['shared'], fixed.maxPermits + 1),
        'the same key under several algorithms, ',
      );
      assert.equal(
        spent.at(-1)?.allowed,
        false,
        `"shared" was granted more than ${fixed.maxPermits} permits`,
      );
    }
  });

  it('treats the names of Object.prototype (__proto__, constructor …) as ordinary keys', async () => {
    for (const { fixed } of SHIPPED_ALGORITHMS) {
      const store = await createStore();
      await assertSameDecisions(store, fixed, roundRobin(PROTOTYPE_KEYS, fixed.maxPermits + 1));
    }
  });

  it('keeps long keys, unicode keys and keys with pattern characters apart', async () => {
    for (const { fixed } of SHIPPED_ALGORITHMS) {
      const store = await createStore();
      // One key at a time: its allowance spent, then one more, while the others are untouched.
      for (const key of UNUSUAL_KEYS) {
        await assertSameDecisions(store, fixed, roundRobin([key], fixed.maxPermits + 1));
      }
    }
  });
}
