import assert from 'node:assert/strict';
import type { ContractRunner } from '@keel/core/testing';
import type { Cache, DisposeReason } from '../cache.js';
import { assertDisposed, disposalsOf } from './cacheContractSetup.js';
import type { Setup } from './cacheContractSetup.js';

/** The ways an expired entry can be found, each of which must dispose it once as `expire`. */
const FINDERS: [string, (cache: Cache<unknown, unknown>) => unknown][] = [
  ['get', (cache) => cache.get('k')],
  ['has', (cache) => cache.has('k')],
  ['peek', (cache) => cache.peek('k')],
  ['delete', (cache) => cache.delete('k')],
  ['remainingTtl', (cache) => cache.remainingTtl('k')],
  ['purgeStale', (cache) => cache.purgeStale()],
];

/** Which reason `onDispose` gets for each way a value leaves, exactly once, for `cacheContract`. */
export function defineDisposalTests({ it }: ContractRunner, setup: Setup): void {
  it('disposes a replaced value with reason "set", and nothing when the same value is set again', () => {
    const { cache, disposed } = setup({ max: 4 });
    const first = { v: 1 };
    const second = { v: 2 };
    cache.set('k', first).set('k', second);
    assertDisposed(disposed, [['k', first, 'set']], 'disposals after replacing a value');
    cache.set('k', second);
    assertDisposed(disposed, [['k', first, 'set']], 'setting the stored value again disposed it');
  });

  it('disposes a deleted value once with reason "delete"', () => {
    const { cache, disposed } = setup({ max: 4 });
    cache.set('k', 1).set('other', 2);
    cache.delete('k');
    cache.delete('k');
    assertDisposed(disposed, [['k', 1, 'delete']], 'disposals after deleting a key twice');
  });

  it('disposes every entry once with reason "clear" on clear', () => {
    const { cache, disposed } = setup({ max: 4 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    cache.clear();
    cache.clear();
    const cleared = disposalsOf(disposed, 'clear').sort(([a], [b]) => String(a).localeCompare(String(b)));
    assert.deepEqual(cleared, [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    assert.equal(disposed.length, 3, 'disposals other than the three cleared entries');
  });

  it('disposes an entry evicted to respect max once with reason "evict"', () => {
    const { cache, disposed } = setup({ max: 2 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    assert.equal(disposed.length, 1, 'disposals when a third key enters a cache of two');
    const [evicted] = disposed;
    assert.equal(evicted?.reason, 'evict', 'the reason of the disposal');
    assert.ok(
      (evicted.key === 'a' && evicted.value === 1) || (evicted.key === 'b' && evicted.value === 2),
      `the evicted pair should be one stored before, got ${String(evicted.key)} = ${String(evicted.value)}`,
    );
    assert.equal(cache.has(evicted.key), false, 'the evicted key is still in the cache');
  });

  it('disposes an expired value once with reason "expire", however it is found', () => {
    for (const [finder, find] of FINDERS) {
      const { cache, clock, disposed } = setup({ max: 4 });
      cache.set('k', 'v', { ttl: 100 });
      clock.advance(100);
      find(cache);
      for (const [, again] of FINDERS) again(cache);
      assertDisposed(disposed, [['k', 'v', 'expire']], `disposals after ${finder} found the expired entry`);
    }
  });

  it('calls onDispose after the value has left: the callback cannot read it from the cache', () => {
    const { cache, clock, watch } = setup({ max: 2 });
    const seen: [DisposeReason, boolean][] = [];
    watch(({ key, value, reason }) => seen.push([reason, cache.peek(key) === value]));
    const value = (name: string) => ({ name });
    cache.set('a', value('a1')).set('a', value('a2'));
    cache.set('b', value('b')).set('c', value('c'));
    cache.delete('c');
    cache.set('d', value('d'), { ttl: 10 });
    clock.advance(10);
    cache.get('d');
    cache.clear();
    const reasons: DisposeReason[] = ['set', 'evict', 'delete', 'expire', 'clear'];
    for (const reason of reasons) {
      assert.ok(
        seen.some(([seenReason]) => seenReason === reason),
        `no disposal with reason "${reason}" was seen`,
      );
    }
    const readable = seen.filter(([, stillThere]) => stillThere).map(([reason]) => reason);
    assert.deepEqual(readable, [], 'reasons whose callback could still read the disposed value');
  });
}
