import { raceAbort, throwIfAborted } from '@keel/core';
import { keyHolders, perSlot } from './client.js';
import type { RedisClient } from './client.js';

/**
 * Walks every key matching `match` with `SCAN` (never `KEYS`) on the server, or on every master
 * of a cluster, and removes each batch with `UNLINK` (one per hash slot on a cluster, routed by
 * the cluster client so a slot that moved meanwhile still reaches its owner). Keys written while
 * it runs may survive. The signal is checked between batches.
 */
export async function unlinkMatching(
  client: RedisClient,
  match: string,
  count: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const holder of await raceAbort(keyHolders(client), signal)) {
    let cursor = '0';
    do {
      const [next, found] = await raceAbort(holder.scan(cursor, 'MATCH', match, 'COUNT', count), signal);
      if (found.length > 0)
        await raceAbort(
          perSlot(client, found, (keys) => client.unlink(...keys)),
          signal,
        );
      cursor = next;
      throwIfAborted(signal);
    } while (cursor !== '0');
  }
}
