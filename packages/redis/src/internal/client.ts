import type { Cluster, Redis } from 'ioredis';
import { keySlot } from './keySlot.js';

/** An ioredis client: one server (`Redis`) or a Redis Cluster (`Cluster`). */
export type RedisClient = Redis | Cluster;

/** Whether `client` is an ioredis `Cluster`. */
export function isClusterClient(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/**
 * The indexes of `keys` grouped so each group may go in one multi-key command: one group on a
 * single server, one per hash slot on a cluster (a multi-key command across slots fails with
 * CROSSSLOT). Groups keep the keys' order.
 */
export function groupBySlot(client: RedisClient, keys: readonly string[]): number[][] {
  if (!isClusterClient(client)) return [keys.map((_, index) => index)];
  const groups = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = keySlot(key);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [index]);
    else group.push(index);
  });
  return [...groups.values()];
}

/**
 * The servers that hold keys: the client itself, or every master of the cluster (connecting
 * first, so a lazily connecting cluster client knows its masters).
 */
export async function keyHolders(client: RedisClient): Promise<Redis[]> {
  if (!isClusterClient(client)) return [client];
  if (client.status !== 'ready') await client.ping();
  return client.nodes('master');
}

/**
 * Runs `command` once per group of {@link groupBySlot} (concurrently on a cluster) and returns
 * each group's key indexes with its reply.
 */
export function perSlot<TReply>(
  client: RedisClient,
  keys: readonly string[],
  command: (keys: string[], indexes: number[]) => Promise<TReply>,
): Promise<{ indexes: number[]; reply: TReply }[]> {
  return Promise.all(
    groupBySlot(client, keys).map(async (indexes) => ({
      indexes,
      reply: await command(
        indexes.map((index) => keys[index]!),
        indexes,
      ),
    })),
  );
}
