import assert from 'node:assert/strict';
import { isSerializationError, isValidationError } from '@keel/core';
import { contractRunner, describeError } from '@keel/core/testing';
import type { ContractOptions } from '@keel/core/testing';
import { createCacheAside } from '../cacheAside.js';
import type { CacheAsideEntry } from '../cacheAside.js';
import type { CacheStore } from '../cacheStore.js';

/** How {@link cacheStoreContract} creates a store and moves its time forward. */
export interface CacheStoreContractSubject {
  /** A new, empty store of string keys. */
  create(): Promise<CacheStore<string, unknown>> | CacheStore<string, unknown>;
  /** Lets `ms` milliseconds pass for the store's TTLs (advance a manual clock, or sleep for a remote store). */
  advance(ms: number): Promise<void>;
}

/**
 * The behaviour every {@link CacheStore} must share, as a test suite for any runner: run it unchanged against
 * the in-memory store here and against remote stores (e.g. `@keel/redis`) so they stay
 * interchangeable under the caching strategies.
 *
 * Values follow core's storable-JSON rules (`toStorableJson`), as every Keel store does: what
 * JSON changes comes back changed (a `Date` as its ISO string, `undefined` properties left out),
 * what JSON would lose (NaN, ±Infinity, BigInt, Map, functions, cycles …) is refused with a
 * `SerializationError` before anything is stored, and `undefined` itself (which reads back as
 * "absent") is refused with a `ValidationError`. A `ttl` of `0` or `Infinity` never expires, and
 * neither does a finite one too large to hold (beyond `Number.MAX_SAFE_INTEGER` ms). A string key
 * that is not well-formed UTF-16 (a lone surrogate) is refused with a `ValidationError`: a store
 * keeping keys as UTF-8 would merge such keys.
 *
 * Call it at the top level of a test file (or inside a `describe`). It registers its tests with
 * the test runner's global `describe` and `it` (Jest, Mocha, Bun, Vitest with `globals: true`);
 * under `node:test`, or Vitest without globals, pass the runner's functions as `options.runner`.
 * Failures are `node:assert` errors, which every runner reports.
 *
 * @param name - Names the suite: `<name> (CacheStore contract)`.
 * @param subject - Creates an empty store per test and moves its time forward.
 * @param options - `runner`: the test runner's `describe`, `it`, `beforeEach`, `afterEach`.
 * @throws {ValidationError} (from `@keel/core`) when no runner is given and no globals exist.
 *
 * @example
 * ```ts
 * // With test globals (Jest, Mocha, Vitest with globals: true):
 * cacheStoreContract('MemoryCacheStore', {
 *   create: () => new MemoryCacheStore({ clock }),
 *   advance: async (ms) => void clock.advance(ms),
 * });
 *
 * // Under node:test:
 * import { afterEach, beforeEach, describe, it } from 'node:test';
 * cacheStoreContract('MyCacheStore', subject, { runner: { describe, it, beforeEach, afterEach } });
 * ```
 */
export function cacheStoreContract(
  name: string,
  subject: CacheStoreContractSubject,
  options?: ContractOptions,
): void {
  const { describe, it } = contractRunner(options);
  describe(`${name} (CacheStore contract)`, () => {
    it('returns undefined for a key never stored', async () => {
      const store = await subject.create();
      assert.equal(await store.get('missing'), undefined);
    });

    it('returns what was stored, structured values included', async () => {
      const store = await subject.create();
      await store.set('user', { id: 'u1', tags: ['a'], score: 1.5, active: true });
      assert.deepEqual(await store.get('user'), { id: 'u1', tags: ['a'], score: 1.5, active: true });
    });

    it('replaces a value stored under the same key', async () => {
      const store = await subject.create();
      await store.set('k', 1);
      await store.set('k', 2);
      assert.equal(await store.get('k'), 2);
    });

    it('forgets a value once its TTL has passed, and keeps it before', async () => {
      const store = await subject.create();
      await store.set('short', 'x', { ttl: 200 });
      await store.set('long', 'y', { ttl: 60_000 });
      assert.equal(await store.get('short'), 'x', 'a value was gone before its TTL passed');
      await subject.advance(250);
      assert.equal(await store.get('short'), undefined, 'a value outlived its TTL');
      assert.equal(await store.get('long'), 'y', 'a value with a longer TTL was gone');
    });

    it('reads many keys in the order asked, undefined for the absent ones', async () => {
      const store = await subject.create();
      await store.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]);
      assert.deepEqual(await store.getMany(['b', 'nope', 'a']), [2, undefined, 1]);
    });

    it('applies a per-entry TTL in setMany over the call TTL', async () => {
      const store = await subject.create();
      await store.setMany(
        [
          { key: 'brief', value: 1, ttl: 200 },
          { key: 'default', value: 2 },
        ],
        { ttl: 60_000 },
      );
      await subject.advance(250);
      assert.deepEqual(await store.getMany(['brief', 'default']), [undefined, 2]);
    });

    it('delete reports whether the key was present', async () => {
      const store = await subject.create();
      await store.set('k', 1);
      assert.equal(await store.delete('k'), true, 'delete of a present key should report true');
      assert.equal(await store.delete('k'), false, 'delete of an absent key should report false');
      assert.equal(await store.get('k'), undefined);
    });

    it('deleteMany reports how many keys were present', async () => {
      const store = await subject.create();
      await store.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]);
      assert.equal(await store.deleteMany(['a', 'b', 'c']), 2, 'keys deleteMany found present');
    });

    it('clear removes every entry', async () => {
      const store = await subject.create();
      await store.setMany([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
      ]);
      await store.clear();
      assert.deepEqual(await store.getMany(['a', 'b']), [undefined, undefined]);
    });

    it('rejects with the reason of an already aborted signal and changes nothing', async () => {
      const store = await subject.create();
      const signal = AbortSignal.abort(new Error('stop'));
      await assert.rejects(store.set('k', 1, { signal }), { message: /stop/ });
      await assert.rejects(store.get('k', { signal }), { message: /stop/ });
      assert.equal(await store.get('k'), undefined, 'an aborted set stored its value');
    });

    it('never expires a value stored with a ttl of 0 or Infinity', async () => {
      const store = await subject.create();
      await store.set('zero', 'z', { ttl: 0 });
      await store.set('infinite', 'i', { ttl: Infinity });
      await store.setMany([{ key: 'many', value: 'm', ttl: Infinity }], { ttl: 100 });
      await subject.advance(250);
      assert.deepEqual(await store.getMany(['zero', 'infinite', 'many']), ['z', 'i', 'm']);
    });

    it('never expires a value whose ttl is finite but too large to hold, and stores a whole batch with it', async () => {
      const store = await subject.create();
      await store.set('huge', 'h', { ttl: 1e20 });
      await store.set('largest', 'l', { ttl: Number.MAX_VALUE });
      await store.setMany([
        { key: 'brief', value: 'b', ttl: 60_000 },
        { key: 'beyond', value: 'x', ttl: Number.MAX_SAFE_INTEGER + 2 },
      ]);
      await store.setMany([{ key: 'call', value: 'c' }], { ttl: 1e300 });
      await subject.advance(250);
      assert.deepEqual(await store.getMany(['huge', 'largest', 'brief', 'beyond', 'call']), [
        'h',
        'l',
        'b',
        'x',
        'c',
      ]);
    });

    it('refuses a key that is not well-formed UTF-16 with a ValidationError in every method', async () => {
      const store = await subject.create();
      // Keys that differ only in lone surrogates would share one entry in a store that keeps
      // keys as UTF-8 (Redis keeps each as U+FFFD), so no store takes them.
      const [high, low] = ['k\uD800', 'k\uDFFF'];
      const calls: [string, () => Promise<unknown>][] = [
        ['set', () => store.set(high, 1)],
        [
          'setMany',
          () =>
            store.setMany([
              { key: 'fine', value: 1 },
              { key: low, value: 2 },
            ]),
        ],
        ['get', () => store.get(low)],
        ['getMany', () => store.getMany(['fine', high])],
        ['delete', () => store.delete(high)],
        ['deleteMany', () => store.deleteMany(['fine', low])],
      ];
      for (const [method, call] of calls) {
        const refused = await call().then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(
          isValidationError(refused),
          `Expected ${method} to refuse a lone surrogate key with a ValidationError but got ${describeError(refused)}.`,
        );
      }
      assert.deepEqual(await store.getMany(['fine', 'k\uD83D\uDE00']), [undefined, undefined]);
      await store.set('k\uD83D\uDE00', 'paired surrogates are fine');
      assert.equal(await store.get('k\uD83D\uDE00'), 'paired surrogates are fine');
    });

    it('serves a cache-aside entry loaded with ttl Infinity as a hit, also to another reader', async () => {
      const store = (await subject.create()) as CacheStore<string, CacheAsideEntry<unknown>>;
      let loads = 0;
      const loader = async (key: string) => ({ key, load: ++loads });
      const reader = createCacheAside(store, loader, { ttl: Infinity });
      const otherProcess = createCacheAside(store, loader, { ttl: Infinity });
      assert.deepEqual(await reader.get('user'), { key: 'user', load: 1 });
      await subject.advance(250);
      assert.deepEqual(await reader.get('user'), { key: 'user', load: 1 });
      assert.deepEqual(await otherProcess.get('user'), { key: 'user', load: 1 });
      assert.equal(loads, 1, 'times the loader ran');
    });

    it('hands values back as JSON does: a Date as its ISO string, undefined properties left out', async () => {
      const store = await subject.create();
      await store.set('k', { at: new Date(0), gone: undefined, list: [1, undefined], nested: { n: -0 } });
      assert.deepStrictEqual(await store.get('k'), {
        at: '1970-01-01T00:00:00.000Z',
        list: [1, null],
        nested: { n: 0 },
      });
    });

    it('keeps its own copy: changing a value after set or after get changes nothing stored', async () => {
      const store = await subject.create();
      const value = { tags: ['a'] };
      await store.set('k', value);
      value.tags.push('changed after set');
      const read = (await store.get('k')) as { tags: string[] };
      read.tags.push('changed after get');
      assert.deepEqual(await store.get('k'), { tags: ['a'] });
    });

    it('refuses a value JSON cannot keep with a SerializationError, storing nothing', async () => {
      const store = await subject.create();
      await store.set('k', 'before');
      const cycle: Record<string, unknown> = {};
      cycle['self'] = cycle;
      for (const value of [
        { n: Number.NaN },
        { n: Infinity },
        10n,
        new Map([[1, 2]]),
        { f: () => 1 },
        cycle,
      ]) {
        const refused = await store.set('k', value).then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(
          isSerializationError(refused),
          `Expected a SerializationError but got ${describeError(refused)}.`,
        );
      }
      const batch = store.setMany([
        { key: 'fine', value: 1 },
        { key: 'bad', value: { n: Number.NaN } },
      ]);
      const batchError = await batch.catch((error: unknown) => error);
      assert.ok(
        isSerializationError(batchError),
        `Expected a SerializationError but got ${describeError(batchError)}.`,
      );
      assert.deepEqual(await store.getMany(['k', 'fine', 'bad']), ['before', undefined, undefined]);
    });

    it('refuses undefined as a value with a ValidationError: it reads back as "absent"', async () => {
      const store = await subject.create();
      const refused = await store.set('k', undefined).catch((error: unknown) => error);
      assert.ok(isValidationError(refused), `Expected a ValidationError but got ${describeError(refused)}.`);
    });
  });
}

/**
 * The former name of {@link cacheStoreContract}, kept so existing callers keep working.
 *
 * @deprecated Use {@link cacheStoreContract}, which takes the same arguments (issue 19 names
 * every contract suite `xContract`).
 */
export function describeCacheStoreContract(
  name: string,
  subject: CacheStoreContractSubject,
  options?: ContractOptions,
): void {
  cacheStoreContract(name, subject, options);
}
