import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import { sortedEntries } from './cacheContractSetup.js';
import type { Setup } from './cacheContractSetup.js';

/** What `get`, `peek`, `has`, `set`, `delete` and `clear` return and do, for `cacheContract`. */
export function defineEntryTests(runner: ContractRunner, setup: Setup): void {
  defineReadWriteTests(runner, setup);
  defineKeyTests(runner, setup);
  defineIterationTests(runner, setup);
}

function defineReadWriteTests({ it }: ContractRunner, setup: Setup): void {
  it('finds nothing under a key never stored', () => {
    const { cache } = setup({ max: 4 });
    assert.equal(cache.get('missing'), undefined, 'get');
    assert.equal(cache.peek('missing'), undefined, 'peek');
    assert.equal(cache.has('missing'), false, 'has');
    assert.equal(cache.remainingTtl('missing'), undefined, 'remainingTtl');
    assert.equal(cache.size, 0, 'size');
  });

  it('returns what set stored from get, peek and has, and set returns the cache itself', () => {
    const { cache } = setup({ max: 4 });
    const value = { id: 'u1' };
    assert.equal(cache.set('user', value), cache, 'set should return the cache, for chaining');
    assert.equal(cache.get('user'), value, 'get should return the very value stored');
    assert.equal(cache.peek('user'), value, 'peek');
    assert.equal(cache.has('user'), true, 'has');
    assert.equal(cache.size, 1, 'size');
    assert.equal(cache.max, 4, 'max should be the bound the cache was built with');
  });

  it('stores falsy values as values: 0, empty string, false and null are found', () => {
    const { cache } = setup({ max: 8 });
    const falsy = [0, '', false, null];
    falsy.forEach((value, at) => cache.set(at, value));
    falsy.forEach((value, at) => {
      assert.equal(cache.has(at), true, `has for the value ${String(value)}`);
      assert.equal(cache.get(at), value, `get for the value ${String(value)}`);
    });
  });

  it('replaces the value of a key set again, keeping one entry', () => {
    const { cache } = setup({ max: 4 });
    cache.set('k', 1).set('k', 2);
    assert.equal(cache.get('k'), 2);
    assert.equal(cache.size, 1, 'size after setting one key twice');
  });

  it('keeps the entry just set when full, evicting another one', () => {
    const { cache } = setup({ max: 2 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    assert.equal(cache.get('c'), 3, 'the newest entry was evicted');
    assert.equal(cache.size, 2, 'size of a full cache');
  });

  it('delete reports whether a value was removed, and the key is gone after it', () => {
    const { cache } = setup({ max: 4 });
    cache.set('k', 1).set('other', 2);
    assert.equal(cache.delete('k'), true, 'delete of a stored key should report true');
    assert.equal(cache.delete('k'), false, 'delete of a deleted key should report false');
    assert.equal(cache.delete('never'), false, 'delete of a key never stored should report false');
    assert.equal(cache.has('k'), false, 'has after delete');
    assert.equal(cache.get('other'), 2, 'delete removed another key');
    assert.equal(cache.size, 1, 'size after delete');
  });

  it('clear removes every entry and leaves a cache that works', () => {
    const { cache } = setup({ max: 4 });
    cache.set('a', 1).set('b', 2);
    assert.equal(cache.clear(), undefined, 'clear returns nothing');
    assert.equal(cache.size, 0, 'size after clear');
    assert.equal(cache.has('a'), false, 'has after clear');
    assert.deepEqual([...cache.keys()], [], 'keys after clear');
    cache.set('a', 3).set('c', 4);
    assert.deepEqual(sortedEntries(cache), [
      ['a', 3],
      ['c', 4],
    ]);
  });
}

function defineKeyTests({ it }: ContractRunner, setup: Setup): void {
  it('tells the number 1 and the string "1" apart', () => {
    const { cache } = setup({ max: 4 });
    cache.set(1, 'number').set('1', 'string');
    assert.equal(cache.get(1), 'number');
    assert.equal(cache.get('1'), 'string');
    assert.equal(cache.size, 2, 'size');
  });

  it('finds NaN under NaN, and +0 and -0 as one key (SameValueZero, like a Map)', () => {
    const { cache } = setup({ max: 4 });
    cache.set(Number.NaN, 'nan').set(-0, 'zero');
    assert.equal(cache.get(Number.NaN), 'nan', 'get(NaN)');
    assert.equal(cache.get(0), 'zero', 'get(+0) after set(-0)');
    cache.set(0, 'zero again');
    assert.equal(cache.get(-0), 'zero again', 'get(-0) after set(+0)');
    assert.equal(cache.size, 2, 'size');
  });

  it('compares object keys by identity, not by content', () => {
    const { cache } = setup({ max: 4 });
    const key = { id: 1 };
    cache.set(key, 'first');
    assert.equal(cache.get({ id: 1 }), undefined, 'an equal-looking object found the entry');
    assert.equal(cache.get(key), 'first', 'the same object did not find the entry');
    cache.set({ id: 1 }, 'second');
    assert.equal(cache.size, 2, 'size');
  });
}

function defineIterationTests({ it }: ContractRunner, setup: Setup): void {
  it('lists the same entries from keys, values, entries and the iterator', () => {
    const { cache } = setup({ max: 8 });
    cache.set('a', 1).set('b', 2).set('c', 3).set('b', 4);
    cache.get('a');
    cache.delete('c');
    const entries = [...cache.entries()];
    assert.deepEqual([...cache], entries, 'the iterator and entries() differ');
    assert.deepEqual(
      [...cache.keys()],
      entries.map(([key]) => key),
      'keys() is not the keys of entries()',
    );
    assert.deepEqual(
      [...cache.values()],
      entries.map(([, value]) => value),
      'values() differs from entries()',
    );
    assert.deepEqual(sortedEntries(cache), [
      ['a', 1],
      ['b', 4],
    ]);
  });

  it('lists only live entries; size counts expired ones until they are purged', () => {
    const { cache, clock } = setup({ max: 8 });
    cache.set('brief', 1, { ttl: 100 }).set('lasting', 2).set('other', 3, { ttl: 500 });
    clock.advance(100);
    assert.deepEqual(sortedEntries(cache), [
      ['lasting', 2],
      ['other', 3],
    ]);
    assert.deepEqual([...cache.keys()].sort(), ['lasting', 'other'], 'keys() lists an expired key');
    assert.deepEqual([...cache.values()].sort(), [2, 3], 'values() lists an expired value');
    assert.ok(
      cache.size >= 2 && cache.size <= 3,
      `size ${cache.size} should count 2 live entries and maybe 1 expired`,
    );
    cache.purgeStale();
    assert.equal(cache.size, 2, 'size after purgeStale should count only live entries');
  });
}
