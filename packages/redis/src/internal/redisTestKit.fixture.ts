import { serviceUrl, uniqueName } from '@keel/test-services';
import { Redis } from 'ioredis';
import { keyHolders, perSlot } from './client.js';
import type { RedisClient } from './client.js';

/** Test-only: where a suite's clients connect; the single test server unless a cluster is given. */
export interface RedisTestTarget {
  /** A new, lazily connecting client. */
  connect(): RedisClient;
}

/** Test-only: connections and a unique key prefix, all cleaned up by {@link RedisTestKit.cleanup}. */
export interface RedisTestKit {
  /** A unique prefix for this suite's keys, ending in `:`. */
  readonly prefix: string;
  /** Whether the clients are `Cluster` clients. */
  readonly cluster: boolean;
  /**
   * A new connection, closed by `cleanup`. It connects on its first command, so a suite body
   * that vitest only collects (skipped when Redis is down) opens nothing and prints nothing.
   */
  connect(): RedisClient;
  /** Every key matching `pattern`, on the server or on every master of the cluster (SCAN). */
  keys(pattern: string): Promise<string[]>;
  /** Forgets every loaded Lua script (SCRIPT FLUSH on the server or on every master). */
  flushScripts(): Promise<void>;
  /** Deletes every key under the prefix and closes every connection. */
  cleanup(): Promise<void>;
}

const singleServer: RedisTestTarget = {
  connect: () => new Redis(serviceUrl('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 }),
};

/** Creates a {@link RedisTestKit} for one integration suite, on `target` (default: the test server). */
export function redisTestKit(name: string, target?: RedisTestTarget): RedisTestKit {
  const prefix = `${uniqueName(name)}:`;
  const clients: RedisClient[] = [];
  const connect = (): RedisClient => {
    const client = (target ?? singleServer).connect();
    // Commands reject with the connection error themselves; without a listener ioredis prints
    // every failed reconnect as an "Unhandled error event" stack trace.
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };
  let admin: RedisClient | undefined;
  const adminClient = (): RedisClient => (admin ??= connect());
  const keys = async (pattern: string): Promise<string[]> => {
    const found: string[] = [];
    for (const holder of await keyHolders(adminClient())) {
      let cursor = '0';
      do {
        const [next, batch] = await holder.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        found.push(...batch);
        cursor = next;
      } while (cursor !== '0');
    }
    return found;
  };
  const flushScripts = async (): Promise<void> => {
    for (const holder of await keyHolders(adminClient())) await holder.script('FLUSH');
  };
  const cleanup = async (): Promise<void> => {
    const client = adminClient();
    const found = await keys(`${prefix}*`);
    if (found.length > 0) await perSlot(client, found, (slotKeys) => client.del(...slotKeys));
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  };
  return { prefix, cluster: target !== undefined, connect, keys, flushScripts, cleanup };
}

/** Resolves after `ms` of real time (integration tests only: TTLs live in Redis's clock). */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => globalThis.setTimeout(resolve, ms));
}
