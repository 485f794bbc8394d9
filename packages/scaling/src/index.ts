// --- load balancing, hashing, sharding, autoscaling (owned by the balancing helper) ---
export { murmur3, murmur3Bytes, fmix32 } from './hashing/murmur3.js';
export { xxHash32, xxHash32Bytes } from './hashing/xxHash32.js';
export { jumpHash } from './hashing/jumpHash.js';
export { HashRing, HASH_RING_DEFAULTS, HASH_RING_LIMITS } from './hashing/hashRing.js';
export type { HashRingOptions, RingNode } from './hashing/hashRing.js';
export { rendezvousHash, rendezvousRank } from './hashing/rendezvous.js';

export { ShardRouter, SHARD_ROUTER_DEFAULTS } from './sharding/shardRouter.js';
export type { NodeChange, ShardRouterOptions } from './sharding/shardRouter.js';
export type { KeyMove, RebalancePlan } from './sharding/rebalancePlan.js';
export {
  NoNodeAvailableError,
  isNoNodeAvailableError,
  NO_NODE_AVAILABLE,
} from './sharding/shardingErrors.js';

export { LoadBalancer } from './balancing/loadBalancer.js';
export { LOAD_BALANCER_DEFAULTS } from './balancing/loadBalancerOptions.js';
export type {
  EjectedEvent,
  ExecuteContext,
  ExecuteOptions,
  LoadBalancerOptions,
  PickOptions,
} from './balancing/loadBalancerOptions.js';
export type { Endpoint, EndpointStats, EndpointView } from './balancing/endpoint.js';
export type { Lease, LeaseOutcome } from './balancing/lease.js';
export type { BalancingStrategy, PickContext } from './balancing/strategy.js';
export { roundRobin } from './balancing/roundRobin.js';
export { randomChoice } from './balancing/randomChoice.js';
export { smoothWeightedRoundRobin } from './balancing/smoothWeightedRoundRobin.js';
export { leastConnections } from './balancing/leastConnections.js';
export { peakEwma } from './balancing/peakEwma.js';
export {
  consistentHashAffinity,
  CONSISTENT_HASH_AFFINITY_DEFAULTS,
} from './balancing/consistentHashAffinity.js';
export type { ConsistentHashAffinityOptions } from './balancing/consistentHashAffinity.js';
export { OUTLIER_DETECTION_DEFAULTS } from './balancing/outlierDetection.js';
export type { EjectionReason, OutlierDetectionOptions } from './balancing/outlierDetection.js';
export {
  NoEndpointAvailableError,
  isNoEndpointAvailableError,
  NO_ENDPOINT_AVAILABLE,
} from './balancing/balancingErrors.js';
export { simulateLoadBalancing } from './balancing/simulation.js';
export type {
  SimulatedBackend,
  SimulatedBackendResult,
  SimulationOptions,
  SimulationResult,
} from './balancing/simulation.js';

export { recommendReplicas, RECOMMEND_REPLICAS_DEFAULTS } from './autoscaling/recommendReplicas.js';
export type { Recommendation, RecommendationReason, ReplicaInput } from './autoscaling/recommendReplicas.js';
export { AutoScaler, AUTO_SCALER_DEFAULTS } from './autoscaling/autoScaler.js';
export type { AutoScalerOptions } from './autoscaling/autoScaler.js';
export { DEFAULT_SCALE_UP_RULES, DEFAULT_SCALE_DOWN_RULES } from './autoscaling/behavior.js';
export type {
  ResolvedScalingRules,
  ScalingBehavior,
  ScalingPolicy,
  ScalingRules,
  SelectPolicy,
} from './autoscaling/behavior.js';
export type { MetricRecommendation, MetricSample } from './autoscaling/metricReplicas.js';
export { EMPTY_SCALING_HISTORY } from './autoscaling/scalingHistory.js';
export type { PastRecommendation, ScaleEvent, ScalingHistory } from './autoscaling/scalingHistory.js';

// --- caching (owned by the caching helper) ---
export { LruCache } from './caching/lruCache.js';
export { LRU_CACHE_DEFAULTS } from './caching/lruCacheOptions.js';
export type { LruCacheOptions } from './caching/lruCacheOptions.js';
export { WTinyLfuCache, W_TINY_LFU_CACHE_DEFAULTS } from './caching/wTinyLfuCache.js';
export type { WTinyLfuCacheOptions } from './caching/wTinyLfuCache.js';
export type { Cache, CacheSetOptions, CacheStats, DisposeListener, DisposeReason } from './caching/cache.js';
export type {
  CacheStore,
  CacheStoreEntry,
  CacheStoreOptions,
  CacheStoreSetOptions,
  CacheWriteTarget,
} from './caching/cacheStore.js';
export { MemoryCacheStore, MEMORY_CACHE_STORE_DEFAULTS } from './caching/memoryCacheStore.js';
export type { MemoryCacheStoreOptions } from './caching/memoryCacheStore.js';
export { createCacheAside, CACHE_ASIDE_DEFAULTS } from './caching/cacheAside.js';
export type { CacheAside, CacheAsideEntry, CacheAsideOptions, CacheLoader } from './caching/cacheAside.js';
export { createWriteThrough, WRITE_THROUGH_DEFAULTS } from './caching/writeThrough.js';
export type { CacheWriter, WriteThrough, WriteThroughOptions } from './caching/writeThrough.js';
export { createWriteBehind, WRITE_BEHIND_DEFAULTS } from './caching/writeBehind.js';
export type {
  WriteBehind,
  WriteBehindFlush,
  WriteBehindOptions,
  WriteOperation,
} from './caching/writeBehind.js';
export { CACHING_ERROR_CODES, CacheClosedError, isCacheClosedError } from './caching/cachingErrors.js';
