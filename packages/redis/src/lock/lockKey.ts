/**
 * The Redis key of the lock on `key`; its fencing-token key is this plus `:fence`.
 *
 * Normally `<prefix>{<key>}`: the hash tag `<key>` puts the lock and its token key in one
 * cluster slot, as the acquire script needs. When `key` is empty or starts with `}` (and the
 * prefix has no `{`), that tag is empty, so Redis Cluster hashes each whole name and the two keys
 * land in different slots (CROSSSLOT). On a cluster such a key is stored as `<prefix>{~}<key>~`
 * instead: tag `~`, and, ending in `~`, it can never be the name (or token key) of another lock.
 * On a single server every key keeps `<prefix>{<key>}`, the name it has always had, so locks
 * stay shared with processes running an earlier version.
 *
 * @param prefix The lock's prefix.
 * @param key The caller's key.
 * @param cluster Whether the client is a Redis Cluster client.
 */
export function lockKeyOf(prefix: string, key: string, cluster: boolean): string {
  const emptyTag = !prefix.includes('{') && (key === '' || key.startsWith('}'));
  return cluster && emptyTag ? `${prefix}{~}${key}~` : `${prefix}{${key}}`;
}
