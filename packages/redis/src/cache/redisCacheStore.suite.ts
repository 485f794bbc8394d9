import { cacheStoreContract } from '@keel/scaling/testing';
import { isSerializationError, isValidationError } from '@keel/core';
import { afterAll, expect, it } from 'vitest';
import { realSleep } from '../internal/redisTestKit.fixture.js';
import type { RedisTestKit } from '../internal/redisTestKit.fixture.js';
import { RedisCacheStore } from './redisCacheStore.js';

/**
 * The {@link RedisCacheStore} tests every target must pass (single server, cluster): the
 * `CacheStore` contract and the store's own promises. Call inside a `describe`.
 */
export function describeRedisCacheStore(kit: RedisTestKit): void {
  const client = kit.connect();
  let stores = 0;
  afterAll(() => kit.cleanup());

  cacheStoreContract('RedisCacheStore', {
    create: () => new RedisCacheStore(client, { prefix: `${kit.prefix}contract${stores++}:` }),
    advance: (ms) => realSleep(ms),
  });

  it('reads, writes and deletes a batch whose keys spread over many hash slots', async () => {
    const store = new RedisCacheStore<number>(client, { prefix: `${kit.prefix}spread:` });
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await store.setMany(keys.map((key, i) => ({ key, value: i, ttl: i % 2 === 0 ? 60_000 : 0 })));
    expect(await store.getMany([...keys, 'missing'])).toEqual([...keys.map((_, i) => i), undefined]);
    const withTtl = await store.getManyWithTtl(keys);
    expect(withTtl.map((entry) => entry?.value)).toEqual(keys.map((_, i) => i));
    expect(withTtl.map((entry) => entry!.ttl === Infinity)).toEqual(keys.map((_, i) => i % 2 === 1));
    expect(await store.deleteMany([...keys.slice(0, 150), 'missing'])).toBe(150);
    expect(await store.getMany(keys.slice(148, 152))).toEqual([undefined, undefined, 150, 151]);
  });

  it('clear removes only its own prefix, across many SCAN steps', async () => {
    const mine = new RedisCacheStore(client, { prefix: `${kit.prefix}mine:`, scanCount: 7 });
    const other = new RedisCacheStore(client, { prefix: `${kit.prefix}other:` });
    await mine.setMany(Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: i })));
    await other.set('k1', 'kept');
    await mine.clear();
    expect(await kit.keys(`${kit.prefix}mine:*`)).toEqual([]);
    expect(await other.get('k1')).toBe('kept');
  });

  it('escapes glob characters in the prefix so clear never touches look-alike keys', async () => {
    const starred = new RedisCacheStore(client, { prefix: `${kit.prefix}a*:` });
    const lookAlike = new RedisCacheStore(client, { prefix: `${kit.prefix}ab:` });
    await starred.set('x', 1);
    await lookAlike.set('x', 2);
    await starred.clear();
    expect(await starred.get('x')).toBeUndefined();
    expect(await lookAlike.get('x')).toBe(2);
  });

  it('applies the store default TTL as PX', async () => {
    const store = new RedisCacheStore(client, { prefix: `${kit.prefix}ttl:`, ttl: 60_000 });
    await store.set('k', 1);
    const pttl = await client.pttl(`${kit.prefix}ttl:k`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
  });

  it('uses a pluggable serializer', async () => {
    const store = new RedisCacheStore<number>(client, {
      prefix: `${kit.prefix}ser:`,
      serializer: { serialize: (n) => `#${n}`, deserialize: (text) => Number(text.slice(1)) },
    });
    await store.set('n', 42);
    expect(await client.get(`${kit.prefix}ser:n`)).toBe('#42');
    expect(await store.get('n')).toBe(42);
  });

  it('rejects with the reason of a signal aborted while waiting', async () => {
    const store = new RedisCacheStore(client, { prefix: `${kit.prefix}abort:` });
    const controller = new AbortController();
    const pending = store.getMany(['a', 'b'], { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
  });

  it('publishes the written and deleted keys on its invalidation channel', async () => {
    const channel = `${kit.prefix}inv`;
    const subscriber = kit.connect();
    const received: string[] = [];
    subscriber.on('message', (_channel: string, text: string) => received.push(text));
    await subscriber.subscribe(channel);
    const store = new RedisCacheStore(client, {
      prefix: `${kit.prefix}pub:`,
      invalidationChannel: channel,
      instanceId: 'p1',
    });
    await store.set('a', 1);
    await store.deleteMany(['a', 'b']);
    await store.clear();
    await expect.poll(() => received.length).toBe(3);
    // In order on one server; a cluster may deliver publishes sent through different nodes in any order.
    expect(received.map((text) => JSON.parse(text) as unknown)).toEqual(
      expect.arrayContaining([
        { source: 'p1', keys: ['a'] },
        { source: 'p1', keys: ['a', 'b'] },
        { source: 'p1', all: true },
      ]),
    );
  });

  it('stores a value with an infinite TTL, or 0, without expiry', async () => {
    const store = new RedisCacheStore(client, { prefix: `${kit.prefix}inf:`, ttl: 60_000 });
    await store.set('infinite', 1, { ttl: Infinity });
    await store.setMany([{ key: 'zero', value: 2, ttl: 0 }]);
    await store.set('default', 3, { ttl: undefined });
    expect(await client.pttl(`${kit.prefix}inf:infinite`)).toBe(-1);
    expect(await client.pttl(`${kit.prefix}inf:zero`)).toBe(-1);
    expect(await client.pttl(`${kit.prefix}inf:default`)).toBeGreaterThan(0);
    const forever = new RedisCacheStore(client, { prefix: `${kit.prefix}inf2:`, ttl: Infinity });
    await forever.set('k', 'v');
    expect(await client.pttl(`${kit.prefix}inf2:k`)).toBe(-1);
    expect(await forever.get('k')).toBe('v');
  });

  it('stores a value whose TTL is beyond Number.MAX_SAFE_INTEGER ms without expiry', async () => {
    const store = new RedisCacheStore(client, { prefix: `${kit.prefix}huge:` });
    await store.setMany([
      { key: 'safe', value: 1, ttl: Number.MAX_SAFE_INTEGER },
      { key: 'huge', value: 2, ttl: 1e21 },
      { key: 'max', value: 3, ttl: Number.MAX_VALUE },
    ]);
    expect(await client.pttl(`${kit.prefix}huge:safe`)).toBeGreaterThan(Number.MAX_SAFE_INTEGER - 60_000);
    expect(await client.pttl(`${kit.prefix}huge:huge`)).toBe(-1);
    expect(await store.getManyWithTtl(['huge', 'max'])).toEqual([
      { value: 2, ttl: Infinity },
      { value: 3, ttl: Infinity },
    ]);
    const forever = new RedisCacheStore(client, { prefix: `${kit.prefix}huge2:`, ttl: 1e20 });
    await forever.set('k', 'v');
    expect(await client.pttl(`${kit.prefix}huge2:k`)).toBe(-1);
  });

  it('sends nothing for a batch with a key holding a lone surrogate', async () => {
    const store = new RedisCacheStore(client, { prefix: `${kit.prefix}lone:` });
    const error: unknown = await store
      .setMany([
        { key: 'fine', value: 1 },
        { key: 'k\uD800', value: 2 },
      ])
      .catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect(await kit.keys(`${kit.prefix}lone:*`)).toEqual([]);
  });

  it('reads values with the TTL Redis keeps them for', async () => {
    const store = new RedisCacheStore(client, { prefix: `${kit.prefix}wttl:` });
    await store.set('brief', 'b', { ttl: 5_000 });
    await store.set('forever', 'f');
    const [brief, forever, missing] = await store.getManyWithTtl(['brief', 'forever', 'missing']);
    expect(brief?.value).toBe('b');
    expect(brief?.ttl).toBeGreaterThan(0);
    expect(brief?.ttl).toBeLessThanOrEqual(5_000);
    expect(forever).toEqual({ value: 'f', ttl: Infinity });
    expect(missing).toBeUndefined();
    expect(await store.getWithTtl('forever')).toEqual({ value: 'f', ttl: Infinity });
  });

  it('refuses a value JSON would change before storing any entry of the batch', async () => {
    const store = new RedisCacheStore(client, { prefix: `${kit.prefix}refuse:` });
    const error: unknown = await store
      .setMany([
        { key: 'fine', value: 1 },
        { key: 'bad', value: { n: NaN } },
      ])
      .catch((e: unknown) => e);
    expect(isSerializationError(error)).toBe(true);
    expect(await store.getMany(['fine', 'bad'])).toEqual([undefined, undefined]);
  });
}
