import type { Cluster, Redis } from 'ioredis';

/** The part of ioredis's (private) cluster subscriber this package relies on. */
interface ClusterSubscriberInternals {
  getInstance?: () => Redis | null;
}

/**
 * The connection an ioredis `Cluster` currently receives its (non-sharded) pub/sub messages on,
 * or `undefined` when it has none yet or this ioredis version hides it. ioredis moves the
 * subscription to another node when that connection ends, without telling its user, so a
 * listener watches this connection to know when messages may have been missed.
 */
export function clusterSubscriberConnection(cluster: Cluster): Redis | undefined {
  const internals = (cluster as unknown as { subscriber?: ClusterSubscriberInternals }).subscriber;
  return internals?.getInstance?.() ?? undefined;
}
