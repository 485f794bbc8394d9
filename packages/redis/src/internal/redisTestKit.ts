import { serviceUrl, uniqueName } from '@keel/test-services';
import { Redis } from 'ioredis';

/** Test-only: connections and a unique key prefix, all cleaned up by {@link RedisTestKit.cleanup}. */
export interface RedisTestKit {
  /** A unique prefix for this suite's keys, ending in `:`. */
  readonly prefix: string;
  /**
   * A new connection, closed by `cleanup`. It connects on its first command, so a suite body
   * that vitest only collects (skipped when Redis is down) opens nothing and prints nothing.
   */
  connect(): Redis;
  /** Deletes every key under the prefix and closes every connection. */
  cleanup(): Promise<void>;
}

/** Creates a {@link RedisTestKit} for one integration suite. */
export function redisTestKit(name: string): RedisTestKit {
  const prefix = `${uniqueName(name)}:`;
  const clients: Redis[] = [];
  const connect = (): Redis => {
    const client = new Redis(serviceUrl('redis'), { lazyConnect: true, maxRetriesPerRequest: 1 });
    // Commands reject with the connection error themselves; without a listener ioredis prints
    // every failed reconnect as an "Unhandled error event" stack trace.
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };
  const cleanup = async (): Promise<void> => {
    const admin = clients.find((client) => client.status === 'ready') ?? connect();
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  };
  return { prefix, connect, cleanup };
}

/** Resolves after `ms` of real time (integration tests only: TTLs live in Redis's clock). */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => globalThis.setTimeout(resolve, ms));
}
