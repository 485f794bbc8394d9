// Failover on a Redis Cluster this file starts (3 masters, 3 replicas, node timeout 1 s): a
// master is killed with SIGKILL and its replica promoted. Each test gets a fresh cluster.
import type { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { invalidated, tieredProcess } from '../cache/tieredCache.suite.js';
import type { TieredCache } from '../cache/tieredCache.js';
import { clusterSubscriberConnection } from '../internal/clusterSubscriber.js';
import { RedisCacheStore } from '../cache/redisCacheStore.js';
import { keySlot } from '../internal/keySlot.js';
import { realSleep, redisTestKit } from '../internal/redisTestKit.fixture.js';
import { RedisLock } from '../lock/redisLock.js';
import { redisClusterBinaries, startRedisCluster } from './redisCluster.fixture.js';
import type { RedisClusterFixture } from './redisCluster.fixture.js';

const installed = redisClusterBinaries('failover');

/** Calls `attempt` until it resolves (a slot without a master fails commands), for at most `ms`. */
async function eventually<T>(attempt: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await realSleep(50);
    }
  }
}

/** Strictly increasing. */
function increasing(values: readonly number[]): boolean {
  return values.every((value, i) => i === 0 || value > values[i - 1]!);
}

describe.runIf(installed)('a Redis Cluster losing a master', () => {
  let cluster: RedisClusterFixture | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  async function start(): Promise<RedisClusterFixture> {
    cluster = (await startRedisCluster('failover'))!;
    return cluster;
  }

  it('hands out only increasing fencing tokens while a master is killed under load, and recovers', async () => {
    const fixture = await start();
    const kit = redisTestKit('keel_failover', fixture);
    const locks = new RedisLock(kit.connect(), { prefix: kit.prefix, retryDelay: 20 });
    const lockKey = `${kit.prefix}{job}`;
    const { master } = await fixture.shardOf(keySlot(lockKey));
    const tokens: number[] = [];
    let failures = 0;
    let killedAt = Infinity;
    let recoveredAt = Infinity;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const startedAt = Date.now();
        try {
          await locks.using('job', (lock) => void tokens.push(lock.token), { ttl: 2_000, wait: 20_000 });
          if (startedAt > killedAt) recoveredAt = Math.min(recoveredAt, Date.now());
        } catch {
          failures += 1; // no answer while the slot has no master: the caller sees an error
          await realSleep(20);
        }
      }
    };
    // Cache writes over every slot meanwhile: which acknowledged ones does the failover lose?
    const store = new RedisCacheStore<number>(kit.connect(), { prefix: `${kit.prefix}w:` });
    const acknowledged: string[] = [];
    const writer = async (): Promise<void> => {
      for (let i = 0; !stop; i++) {
        await store.set(`k${i}`, i).then(
          () => acknowledged.push(`k${i}`),
          () => realSleep(20),
        );
      }
    };
    const workers = [worker(), worker(), writer()];
    await realSleep(300);
    const before = tokens.length;
    killedAt = Date.now();
    await fixture.kill(master);
    await expect.poll(() => recoveredAt, { timeout: 20_000, interval: 50 }).toBeLessThan(Infinity);
    await realSleep(300);
    stop = true;
    await Promise.all(workers);
    expect(before).toBeGreaterThan(0);
    expect(tokens.length).toBeGreaterThan(before);
    expect(increasing(tokens)).toBe(true);
    const { master: promoted } = await fixture.shardOf(keySlot(lockKey));
    expect(promoted).not.toBe(master);
    const values = await store.getMany(acknowledged);
    const lost = values.filter((value) => value === undefined).length;
    expect(acknowledged.length).toBeGreaterThan(0);
    console.info(
      `[failover] lock: master killed, first lock after ${recoveredAt - killedAt} ms, ` +
        `${tokens.length} tokens all increasing, ${failures} failed attempts; ` +
        `cache: ${acknowledged.length} acknowledged writes, ${lost} lost`,
    );
  });

  it('keeps tokens increasing when the promoted replica missed the last ones, where a counter repeats them', async () => {
    const fixture = await start();
    const kit = redisTestKit('keel_failover_lag', fixture);
    const client = kit.connect();
    const locks = new RedisLock(client, { prefix: kit.prefix, retryDelay: 20 });
    const fence = `${kit.prefix}{job}:fence`;
    // The design this replaces: a plain INCR per ownership, in the same slot.
    const counter = `${kit.prefix}{job}:counter`;
    const take = async () => {
      const lock = await locks.acquire('job', { ttl: 5_000 });
      const counted = await client.incr(counter);
      await lock.release();
      return { token: lock.token, counted };
    };
    const { master, replicas } = await fixture.shardOf(keySlot(fence));
    const replica = replicas[0]!;
    const replicated = [await take(), await take()];
    const replicaView = fixture.node(replica);
    await replicaView.readonly();
    await expect.poll(() => replicaView.get(fence)).toBe(String(replicated[1]!.token));
    // The replica stops receiving: frozen, and its replication link cut by the master.
    fixture.signal(replica, 'SIGSTOP');
    await fixture.node(master).call('CLIENT', 'KILL', 'TYPE', 'replica');
    const lost = [await take(), await take(), await take()];
    const killedAt = Date.now();
    await fixture.kill(master);
    fixture.signal(replica, 'SIGCONT');
    const after = await eventually(take);
    const recoveredIn = Date.now() - killedAt;
    expect((await fixture.shardOf(keySlot(fence))).master).toBe(replica);
    const tokens = [...replicated, ...lost, after].map((taken) => taken.token);
    expect(increasing(tokens)).toBe(true);
    // The control: the promoted replica's counter is behind, so a counter token would repeat.
    expect(after.counted).toBeLessThanOrEqual(lost.at(-1)!.counted);
    console.info(
      `[failover] lagging replica promoted: first lock after ${recoveredIn} ms; tokens ${tokens.join(' < ')}; ` +
        `an INCR counter went ${lost.at(-1)!.counted} -> ${after.counted}`,
    );
  });

  it(
    'keeps invalidating L1 after the master carrying the subscription dies',
    { timeout: 60_000 },
    async () => {
      const fixture = await start();
      const kit = redisTestKit('keel_failover_inv', fixture);
      const caches: TieredCache<unknown>[] = [];
      const a = await tieredProcess(kit, caches, 'a', 'inv');
      const b = await tieredProcess(kit, caches, 'b', 'inv');
      const subscriberPort = () => clusterSubscriberConnection(b.subscriber as Cluster)?.options.port;
      let dropped = 0;
      b.listener.onInvalidate((message) => (dropped += message.source === '' ? 1 : 0));
      const masters = await Promise.all(
        [0, 5_461, 10_923].map(async (slot) => (await fixture.shardOf(slot)).master),
      );
      // Move the subscription (ioredis picks a node at random) until it is on a master: each move
      // is a dropped connection the listener must notice and recover from.
      while (!masters.includes(subscriberPort()!)) {
        const before = dropped;
        await fixture.node(subscriberPort()!).call('CLIENT', 'KILL', 'TYPE', 'pubsub');
        await expect
          .poll(() => dropped >= before + 2 && b.listener.subscribed, { timeout: 10_000 })
          .toBe(true);
      }
      const seen = invalidated(b, 'k');
      await a.cache.set('k', 'v1');
      await seen;
      expect(await b.cache.get('k')).toBe('v1');
      expect(b.local.peek('k')).toBe('v1');
      const port = subscriberPort()!;
      const before = dropped;
      const killedAt = Date.now();
      await fixture.kill(port);
      // Dropped when the connection closed, and again once subscribed on another node.
      await expect.poll(() => dropped >= before + 2 && b.listener.subscribed, { timeout: 20_000 }).toBe(true);
      const resubscribedIn = Date.now() - killedAt;
      expect(b.local.peek('k')).toBeUndefined();
      expect(subscriberPort()).not.toBe(port);
      // Invalidations flow again, once the dead master's slots have failed over.
      await expect
        .poll(() => eventually(() => b.cache.get('k')).then(() => b.local.peek('k')), { timeout: 20_000 })
        .toBe('v1');
      const again = invalidated(b, 'k');
      await eventually(() => a.cache.set('k', 'v2'));
      await again;
      expect(b.local.peek('k')).toBeUndefined();
      expect(await b.cache.get('k')).toBe('v2');
      await Promise.all(caches.map((cache) => cache.close()));
      console.info(`[failover] subscription's master killed: subscribed again after ${resubscribedIn} ms`);
    },
  );
});
