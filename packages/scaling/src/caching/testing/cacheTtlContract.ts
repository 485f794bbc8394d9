import assert from 'node:assert/strict';
import { isValidationError, ManualClock } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describeError } from '@keel/core/testing';
import type { ContractRunner } from '@keel/core/testing';
import type { Cache } from '../cache.js';
import { CONTRACT_START } from './cacheContractSetup.js';
import type { CacheContractFactory, Setup } from './cacheContractSetup.js';

/** TTLs no cache may accept: negative, NaN, or negative infinity. */
const BAD_TTLS = [-1, -0.5, Number.NaN, -Infinity];
/** Bounds no cache may accept: below 1, fractional, or NaN. */
const BAD_MAXES = [0, -1, 1.5, Number.NaN];

/** Asserts `cache` has a live `value` under `key`, as `get`, `peek` and `has` all see it. */
function assertLive(cache: Cache<unknown, unknown>, key: unknown, value: unknown, when: string): void {
  assert.equal(cache.peek(key), value, `peek ${when}`);
  assert.equal(cache.has(key), true, `has ${when}`);
  assert.equal(cache.get(key), value, `get ${when}`);
}

/** Asserts `get`, `peek`, `has` and `remainingTtl` all see nothing under `key`. */
function assertGone(cache: Cache<unknown, unknown>, key: unknown, when: string): void {
  assert.equal(cache.peek(key), undefined, `peek ${when}`);
  assert.equal(cache.has(key), false, `has ${when}`);
  assert.equal(cache.get(key), undefined, `get ${when}`);
  assert.equal(cache.remainingTtl(key), undefined, `remainingTtl ${when}`);
}

/** Asserts `act` throws a `ValidationError` whose one issue is at `path`. */
function assertRefused(act: () => unknown, path: string, where: string): void {
  let thrown: unknown;
  try {
    act();
  } catch (error) {
    thrown = error;
  }
  assert.ok(isValidationError(thrown), `${where}: expected a ValidationError, got ${describeError(thrown)}`);
  const paths = (thrown as ValidationError).issues.map((issue) => issue.path.join('.'));
  assert.deepEqual(paths, [path], `${where}: the paths of the issues`);
}

/** Expiry, `remainingTtl`, per-entry TTLs, `purgeStale` and refused TTLs, for `cacheContract`. */
export function defineTtlTests(runner: ContractRunner, setup: Setup, factory: CacheContractFactory): void {
  defineExpiryTests(runner, setup);
  defineTtlOptionTests(runner, setup, factory);
}

function defineExpiryTests({ it }: ContractRunner, setup: Setup): void {
  it("expires an entry exactly when the cache's ttl has passed: get, peek and has see nothing after", () => {
    const { cache, clock } = setup({ max: 4, ttl: 1_000 });
    cache.set('k', 'v');
    clock.advance(999);
    assertLive(cache, 'k', 'v', '1 ms before the ttl passed');
    clock.advance(1);
    assertGone(cache, 'k', 'once the ttl passed');
  });

  it('reports the remaining ttl: Infinity without one, what is left with one, undefined when absent', () => {
    const { cache, clock } = setup({ max: 4 });
    cache.set('forever', 1).set('brief', 2, { ttl: 500 });
    clock.advance(200);
    assert.equal(cache.remainingTtl('forever'), Infinity, 'remainingTtl of an entry without a ttl');
    assert.equal(cache.remainingTtl('brief'), 300, 'remainingTtl 200 ms into a ttl of 500');
    assert.equal(cache.remainingTtl('never stored'), undefined, 'remainingTtl of an absent key');
    cache.delete('forever');
    assert.equal(cache.remainingTtl('forever'), undefined, 'remainingTtl of a deleted key');
  });

  it("lets a set's ttl override the cache's, shorter or longer, and ttl undefined keep the cache's", () => {
    const { cache, clock } = setup({ max: 8, ttl: 1_000 });
    cache.set('short', 1, { ttl: 100 }).set('long', 2, { ttl: 5_000 }).set('default', 3, { ttl: undefined });
    assert.equal(cache.remainingTtl('default'), 1_000, 'remainingTtl with ttl undefined');
    clock.advance(100);
    assertGone(cache, 'short', "after a set's shorter ttl");
    clock.advance(900);
    assertGone(cache, 'default', "after the cache's ttl, with ttl undefined");
    assertLive(cache, 'long', 2, "after the cache's ttl but before the set's longer one");
  });

  it('never expires an entry with a ttl of 0 or Infinity, given to the set or to the cache', () => {
    for (const never of [0, Infinity]) {
      const perSet = setup({ max: 4, ttl: 100 });
      perSet.cache.set('k', 'v', { ttl: never });
      const perCache = setup({ max: 4, ttl: never });
      perCache.cache.set('k', 'v');
      for (const { cache, clock } of [perSet, perCache]) {
        clock.advance(10_000_000);
        assert.equal(cache.remainingTtl('k'), Infinity, `remainingTtl with a ttl of ${never}`);
        assertLive(cache, 'k', 'v', `long after a set with a ttl of ${never}`);
      }
    }
  });

  it("gives a key set again the new set's ttl (or the cache's), not the old one", () => {
    const { cache, clock } = setup({ max: 4, ttl: 1_000 });
    cache.set('pinned', 1, { ttl: 100 }).set('pinned', 2, { ttl: 0 });
    cache.set('renewed', 3, { ttl: 5_000 });
    clock.advance(500);
    cache.set('renewed', 4);
    assert.equal(cache.remainingTtl('renewed'), 1_000, "remainingTtl after a set without ttl: the cache's");
    clock.advance(1_000);
    assertLive(cache, 'pinned', 2, 'after setting ttl 0 over ttl 100');
    assertGone(cache, 'renewed', "after the cache's ttl from the later set");
  });

  it('purgeStale removes every expired entry, counts them, and keeps the live ones', () => {
    const { cache, clock } = setup({ max: 8 });
    assert.equal(cache.purgeStale(), 0, 'purgeStale of an empty cache');
    cache.set('a', 1, { ttl: 100 }).set('b', 2, { ttl: 200 }).set('c', 3, { ttl: 300 }).set('d', 4);
    clock.advance(200);
    assert.equal(cache.purgeStale(), 2, 'purgeStale with two expired entries');
    assert.equal(cache.purgeStale(), 0, 'a second purgeStale');
    assert.equal(cache.size, 2, 'size after purgeStale');
    assertLive(cache, 'c', 3, 'after purgeStale');
    assertLive(cache, 'd', 4, 'after purgeStale');
  });
}

function defineTtlOptionTests({ it }: ContractRunner, setup: Setup, factory: CacheContractFactory): void {
  it('refuses a negative or NaN ttl in set with a ValidationError, changing nothing', () => {
    const { cache, clock, disposed } = setup({ max: 4 });
    cache.set('k', 'before', { ttl: 500 });
    for (const ttl of BAD_TTLS) {
      assertRefused(() => cache.set('k', 'after', { ttl }), 'ttl', `set of a stored key with ttl ${ttl}`);
      assertRefused(() => cache.set('new', 'after', { ttl }), 'ttl', `set of a new key with ttl ${ttl}`);
    }
    assert.equal(cache.peek('k'), 'before', 'the value of a key whose set was refused');
    assert.equal(cache.has('new'), false, 'a refused set stored a new key');
    assert.equal(cache.remainingTtl('k'), 500, 'the ttl of a key whose set was refused');
    assert.deepEqual(disposed, [], 'a refused set disposed a value');
    clock.advance(500);
    assert.equal(cache.has('k'), false, 'a refused set changed when the stored value expires');
  });

  it('refuses a negative or NaN ttl, or a max below 1 or fractional, with a ValidationError when built', () => {
    const settings = { max: 4, clock: new ManualClock(CONTRACT_START), onDispose: () => undefined };
    for (const ttl of BAD_TTLS) {
      assertRefused(() => factory({ ...settings, ttl }), 'ttl', `building a cache with ttl ${ttl}`);
    }
    for (const max of BAD_MAXES) {
      assertRefused(() => factory({ ...settings, max }), 'max', `building a cache with max ${max}`);
    }
  });
}
