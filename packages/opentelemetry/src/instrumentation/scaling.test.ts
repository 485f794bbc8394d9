import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, withSpan } from '@keel/core';
import {
  AutoScaler,
  createCacheAside,
  createWriteBehind,
  LoadBalancer,
  LruCache,
  MemoryCacheStore,
  roundRobin,
  WTinyLfuCache,
} from '@keel/scaling';
import type { CacheAsideEntry, WriteOperation } from '@keel/scaling';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

const lru = { 'keel.cache.name': 'users', 'keel.cache.kind': 'lru' };

describe('cache metrics', () => {
  it('counts LruCache hits and misses by cache name and kind, with the hit ratio as a gauge', async () => {
    const cache = new LruCache<string, number>({ name: 'users', max: 10 });
    cache.set('a', 1);
    cache.get('a');
    cache.get('a');
    cache.get('a');
    cache.get('missing');
    expect(await kit.value('keel.cache.hits', lru)).toBe(3);
    expect(await kit.value('keel.cache.misses', lru)).toBe(1);
    expect(await kit.value('keel.cache.hit_ratio', lru)).toBe(0.75);
    const [hits] = await kit.points('keel.cache.hits', lru);
    expect(hits?.unit).toBe('{hit}');
  });

  it('counts evictions by capacity and by expiry apart', async () => {
    const clock = new ManualClock();
    const cache = new LruCache<string, number>({ name: 'users', max: 2, ttl: 1_000, clock });
    cache.set('a', 1).set('b', 2).set('c', 3);
    clock.advance(1_000);
    expect(cache.get('c')).toBeUndefined();
    expect(
      await kit.value('keel.cache.evictions', { ...lru, 'keel.cache.eviction.reason': 'capacity' }),
    ).toBe(1);
    expect(await kit.value('keel.cache.evictions', { ...lru, 'keel.cache.eviction.reason': 'expired' })).toBe(
      1,
    );
  });

  it('names a cache "default" when it has no name', async () => {
    const cache = new LruCache<string, number>();
    cache.get('x');
    expect(await kit.value('keel.cache.misses', { 'keel.cache.name': 'default' })).toBe(1);
  });

  it('reports a W-TinyLFU cache as its own kind, evictions included', async () => {
    const cache = new WTinyLfuCache<number, number>({ name: 'products', max: 10, random: () => 0.5 });
    for (let key = 0; key < 50; key++) cache.set(key, key);
    cache.get(49);
    cache.get(-1);
    const tinyLfu = { 'keel.cache.name': 'products', 'keel.cache.kind': 'w-tinylfu' };
    expect(await kit.value('keel.cache.hits', tinyLfu)).toBe(1);
    expect(await kit.value('keel.cache.misses', tinyLfu)).toBe(1);
    expect(await kit.value('keel.cache.evictions', tinyLfu)).toBe(50 - cache.size);
  });

  it('counts cache-aside hits, misses and loads with their duration, apart from the store underneath', async () => {
    const clock = new ManualClock();
    const store = new MemoryCacheStore<string, CacheAsideEntry<string>>({ clock });
    const users = createCacheAside(
      store,
      async (key) => {
        clock.advance(40);
        return `user ${key}`;
      },
      { name: 'users', clock },
    );
    await users.get('u1');
    await users.get('u1');
    const aside = { 'keel.cache.name': 'users', 'keel.cache.kind': 'cache-aside' };
    expect(await kit.value('keel.cache.misses', aside)).toBe(1);
    expect(await kit.value('keel.cache.hits', aside)).toBe(1);
    expect(await kit.value('keel.cache.loads', { ...aside, 'keel.outcome': 'success' })).toBe(1);
    const [duration] = await kit.points('keel.cache.load.duration', aside);
    expect(duration).toMatchObject({ unit: 's', value: 0.04, count: 1 });
    expect(await kit.value('keel.cache.hits', { 'keel.cache.kind': 'lru' })).toBe(1);
  });

  it('counts a failed cache-aside load as a failure', async () => {
    const store = new MemoryCacheStore<string, CacheAsideEntry<string>>();
    const users = createCacheAside(store, () => Promise.reject(new Error('db down')), { name: 'users' });
    await expect(users.get('u1')).rejects.toThrow('db down');
    const failed = { 'keel.cache.name': 'users', 'keel.outcome': 'failure' };
    expect(await kit.value('keel.cache.loads', failed)).toBe(1);
    expect((await kit.points('keel.cache.load.duration', failed))[0]?.count).toBe(1);
  });

  it('reports write-behind flushes, flushed writes, their duration and the pending writes', async () => {
    const clock = new ManualClock();
    const cache = new MemoryCacheStore<string, number>({ clock });
    let fail = true;
    const flush = async (_batch: readonly WriteOperation<string, number>[]): Promise<void> => {
      clock.advance(5);
      if (fail) throw new Error('source down');
    };
    const writes = createWriteBehind(cache, flush, { name: 'orders', clock, flushInterval: 1_000 });
    await writes.set('a', 1);
    await writes.set('b', 2);
    const behind = { 'keel.cache.name': 'orders', 'keel.cache.kind': 'write-behind' };
    expect(await kit.value('keel.cache.write_behind.pending', behind)).toBe(2);
    await expect(writes.flush()).rejects.toThrow('source down');
    expect(await kit.value('keel.cache.write_behind.pending', behind)).toBe(2);
    fail = false;
    await writes.flush();
    expect(await kit.value('keel.cache.write_behind.flushes', { ...behind, 'keel.outcome': 'failure' })).toBe(
      1,
    );
    expect(await kit.value('keel.cache.write_behind.flushes', { ...behind, 'keel.outcome': 'success' })).toBe(
      1,
    );
    expect(await kit.value('keel.cache.write_behind.flushed', behind)).toBe(2);
    expect(await kit.value('keel.cache.write_behind.pending', behind)).toBe(0);
    const durations = await kit.points('keel.cache.write_behind.flush.duration', behind);
    expect(durations.map((point) => [point.count, point.value])).toEqual([
      [1, 0.005],
      [1, 0.005],
    ]);
    await writes.close();
  });
});

describe('load balancer metrics', () => {
  const endpoints = [
    { id: 'a', value: 'http://a' },
    { id: 'b', value: 'http://b' },
  ];

  it('counts picks per endpoint and tracks the requests in flight', async () => {
    const balancer = new LoadBalancer(endpoints, { name: 'api', strategy: roundRobin() });
    const first = balancer.acquire();
    const second = balancer.acquire();
    const third = balancer.acquire();
    const a = { 'keel.balancer.name': 'api', 'keel.endpoint.id': 'a' };
    const b = { 'keel.balancer.name': 'api', 'keel.endpoint.id': 'b' };
    expect((await kit.value('keel.balancer.picks', a)) + (await kit.value('keel.balancer.picks', b))).toBe(3);
    expect(await kit.value('keel.balancer.in_flight', { 'keel.balancer.name': 'api' })).toBe(3);
    first.success();
    second.failure(new Error('boom'));
    third.release();
    expect(await kit.value('keel.balancer.in_flight', a)).toBe(0);
    expect(await kit.value('keel.balancer.in_flight', b)).toBe(0);
  });

  it('never lets in-flight go negative for a lease taken before telemetry was installed', async () => {
    await kit.close();
    const balancer = new LoadBalancer(endpoints, { name: 'api' });
    const lease = balancer.acquire();
    kit = otelTestKit();
    lease.success();
    await balancer.execute(async () => 'ok');
    expect(await kit.value('keel.balancer.in_flight', { 'keel.balancer.name': 'api' })).toBe(0);
    expect(await kit.value('keel.balancer.picks', { 'keel.balancer.name': 'api' })).toBe(1);
  });

  it('counts picks refused because no endpoint is available', async () => {
    const balancer = new LoadBalancer<string>([], { name: 'empty' });
    expect(() => balancer.acquire()).toThrow();
    expect(await kit.value('keel.balancer.unavailable', { 'keel.balancer.name': 'empty' })).toBe(1);
  });

  it('counts ejections by endpoint and reason', async () => {
    const balancer = new LoadBalancer(endpoints, {
      name: 'api',
      strategy: roundRobin(),
      clock: new ManualClock(),
      outlierDetection: { consecutiveFailures: 2, maxEjectedFraction: 0.5 },
    });
    for (let round = 0; round < 4; round++) {
      const lease = balancer.acquire();
      if (lease.endpoint.id === 'a') lease.failure(new Error('boom'));
      else lease.success();
    }
    expect(
      await kit.value('keel.balancer.ejections', {
        'keel.balancer.name': 'api',
        'keel.endpoint.id': 'a',
        'keel.balancer.ejection.reason': 'consecutive-failures',
      }),
    ).toBe(1);
  });

  it('notes an ejection as an event on the span of the call that caused it', () => {
    const balancer = new LoadBalancer(endpoints, {
      name: 'api',
      strategy: roundRobin(),
      clock: new ManualClock(),
      outlierDetection: { consecutiveFailures: 1, maxEjectedFraction: 0.5 },
    });
    withSpan('call a', {}, () => {
      const lease = balancer.acquire();
      expect(lease.endpoint.id).toBe('a');
      lease.failure(new Error('boom'));
    });
    const [event] = kit.span('call a').events;
    expect(event?.name).toBe('balancer.ejected');
    expect(event?.attributes).toMatchObject({
      'keel.endpoint.id': 'a',
      'keel.balancer.ejection.reason': 'consecutive-failures',
    });
  });
});

describe('autoscaler metrics', () => {
  it('records each decision with its reason and direction, and the current and desired replicas', async () => {
    const clock = new ManualClock();
    const scaler = new AutoScaler({ name: 'workers', minReplicas: 2, maxReplicas: 20, clock });
    scaler.evaluate([{ name: 'cpu', current: 200, target: 100 }]);
    const workers = { 'keel.autoscaler.name': 'workers' };
    expect(await kit.value('keel.autoscaler.current_replicas', workers)).toBe(2);
    expect(await kit.value('keel.autoscaler.desired_replicas', workers)).toBe(4);
    expect(await kit.value('keel.autoscaler.metric_replicas', workers)).toBe(4);
    expect(
      await kit.value('keel.autoscaler.decisions', { ...workers, 'keel.autoscaler.direction': 'up' }),
    ).toBe(1);
    clock.advance(15_000);
    scaler.evaluate([{ name: 'cpu', current: 100, target: 100 }]);
    const steady = await kit.points('keel.autoscaler.decisions', {
      ...workers,
      'keel.autoscaler.direction': 'none',
    });
    expect(steady.map((point) => [point.attributes['keel.autoscaler.reason'], point.value])).toEqual([
      ['DesiredWithinRange', 1],
    ]);
    expect(await kit.value('keel.autoscaler.current_replicas', workers)).toBe(4);
  });
});
