import { defineMetric, DURATION_BUCKETS } from '@keel/core';

// Every metric @keel/scaling records, in one place. Attributes are low cardinality: a
// configured instance name, a cache kind, an outcome, a reason, and (for load balancers) the ids
// of the configured endpoints, which are a small, fixed set.

/** Reads that found a live value (`keel.cache.name`, `keel.cache.kind`). */
export const CACHE_HITS = defineMetric({
  name: 'keel.cache.hits',
  kind: 'counter',
  unit: '{hit}',
  description: 'Cache reads that found a live value.',
});

/** Reads that found nothing or an expired value. */
export const CACHE_MISSES = defineMetric({
  name: 'keel.cache.misses',
  kind: 'counter',
  unit: '{miss}',
  description: 'Cache reads that found nothing or an expired value.',
});

/** hits / (hits + misses) of one cache since it was created (or its stats were reset). */
export const CACHE_HIT_RATIO = defineMetric({
  name: 'keel.cache.hit_ratio',
  kind: 'gauge',
  unit: '1',
  description: 'Share of cache reads that hit, since the cache was created or its stats were reset.',
});

/** Entries removed to respect a bound (`keel.cache.eviction.reason`: `capacity`) or by TTL (`expired`). */
export const CACHE_EVICTIONS = defineMetric({
  name: 'keel.cache.evictions',
  kind: 'counter',
  unit: '{entry}',
  description: 'Cache entries removed to respect the bounds (capacity) or because they expired.',
});

/** Loads from the source of truth by cache-aside (`keel.outcome`: `success` | `failure`). */
export const CACHE_LOADS = defineMetric({
  name: 'keel.cache.loads',
  kind: 'counter',
  unit: '{load}',
  description: 'Values loaded from the source of truth by cache-aside.',
});

/** How long cache-aside loads take. */
export const CACHE_LOAD_DURATION = defineMetric({
  name: 'keel.cache.load.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of cache-aside loads from the source of truth.',
  buckets: DURATION_BUCKETS,
});

/** Write-behind batch flushes (`keel.outcome`). */
export const WRITE_BEHIND_FLUSHES = defineMetric({
  name: 'keel.cache.write_behind.flushes',
  kind: 'counter',
  unit: '{batch}',
  description: 'Write-behind batches handed to the flush function.',
});

/** Writes a write-behind flush made durable. */
export const WRITE_BEHIND_FLUSHED = defineMetric({
  name: 'keel.cache.write_behind.flushed',
  kind: 'counter',
  unit: '{write}',
  description: 'Writes flushed successfully by write-behind.',
});

/** How long write-behind flushes take (`keel.outcome`). */
export const WRITE_BEHIND_FLUSH_DURATION = defineMetric({
  name: 'keel.cache.write_behind.flush.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of write-behind batch flushes.',
  buckets: DURATION_BUCKETS,
});

/** Writes accepted and waiting for a flush (the batch being flushed is not counted). */
export const WRITE_BEHIND_PENDING = defineMetric({
  name: 'keel.cache.write_behind.pending',
  kind: 'gauge',
  unit: '{write}',
  description: 'Accepted writes waiting for a write-behind flush.',
});

/** Endpoints picked by a load balancer (`keel.balancer.name`, `keel.endpoint.id`). */
export const BALANCER_PICKS = defineMetric({
  name: 'keel.balancer.picks',
  kind: 'counter',
  unit: '{pick}',
  description: 'Requests a load balancer sent to each endpoint.',
});

/** Picks refused because no endpoint was available. */
export const BALANCER_UNAVAILABLE = defineMetric({
  name: 'keel.balancer.unavailable',
  kind: 'counter',
  unit: '{pick}',
  description: 'Picks refused because every endpoint was ejected or none was configured.',
});

/** Requests leased to each endpoint and not yet finished. */
export const BALANCER_IN_FLIGHT = defineMetric({
  name: 'keel.balancer.in_flight',
  kind: 'updown',
  unit: '{request}',
  description: 'Requests in flight per endpoint of a load balancer.',
});

/** Endpoints ejected by outlier detection (`keel.balancer.ejection.reason`). */
export const BALANCER_EJECTIONS = defineMetric({
  name: 'keel.balancer.ejections',
  kind: 'counter',
  unit: '{ejection}',
  description: 'Endpoints ejected by passive outlier detection.',
});

/** Evaluations of an autoscaler (`keel.autoscaler.reason`, `keel.autoscaler.direction`). */
export const AUTOSCALER_DECISIONS = defineMetric({
  name: 'keel.autoscaler.decisions',
  kind: 'counter',
  unit: '{decision}',
  description: 'Autoscaler decisions by reason and direction (up, down, none).',
});

/** The replica count an autoscaler decided on in its last evaluation. */
export const AUTOSCALER_DESIRED_REPLICAS = defineMetric({
  name: 'keel.autoscaler.desired_replicas',
  kind: 'gauge',
  unit: '{replica}',
  description: 'Replicas the autoscaler decided on in its last evaluation.',
});

/** The replica count running when an autoscaler last evaluated. */
export const AUTOSCALER_CURRENT_REPLICAS = defineMetric({
  name: 'keel.autoscaler.current_replicas',
  kind: 'gauge',
  unit: '{replica}',
  description: 'Replicas running when the autoscaler last evaluated.',
});

/** What the metrics alone asked for in an autoscaler's last evaluation (before windows and limits). */
export const AUTOSCALER_METRIC_REPLICAS = defineMetric({
  name: 'keel.autoscaler.metric_replicas',
  kind: 'gauge',
  unit: '{replica}',
  description: 'Replicas the metrics alone asked for, before stabilization, rate limits and bounds.',
});
