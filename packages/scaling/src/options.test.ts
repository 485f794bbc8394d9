import { isValidationError, ManualClock, systemClock } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import {
  AutoScaler,
  CACHE_ASIDE_DEFAULTS,
  CONSISTENT_HASH_AFFINITY_DEFAULTS,
  consistentHashAffinity,
  createCacheAside,
  createWriteBehind,
  createWriteThrough,
  DEFAULT_SCALE_DOWN_RULES,
  DEFAULT_SCALE_UP_RULES,
  HASH_RING_DEFAULTS,
  HashRing,
  LOAD_BALANCER_DEFAULTS,
  LoadBalancer,
  LRU_CACHE_DEFAULTS,
  LruCache,
  MEMORY_CACHE_STORE_DEFAULTS,
  MemoryCacheStore,
  OUTLIER_DETECTION_DEFAULTS,
  RECOMMEND_REPLICAS_DEFAULTS,
  recommendReplicas,
  roundRobin,
  SHARD_ROUTER_DEFAULTS,
  ShardRouter,
  simulateLoadBalancing,
  W_TINY_LFU_CACHE_DEFAULTS,
  WRITE_BEHIND_DEFAULTS,
  WRITE_THROUGH_DEFAULTS,
  WTinyLfuCache,
} from './index.js';

type Options = Record<string, unknown>;

/**
 * One factory or class of the package: how to build it from options, what to observe of the
 * result (to compare "left out", "undefined" and "the default given explicitly"), every option
 * with its documented default, and values that must be refused.
 */
interface Subject {
  readonly name: string;
  readonly build: (options: Options) => unknown;
  readonly observe: (built: unknown) => unknown;
  readonly defaults: Options;
  readonly bad: readonly (readonly [option: string, value: unknown])[];
}

const endpoints = [
  { id: 'a', value: 'a' },
  { id: 'b', value: 'b', weight: 2 },
];
const metric = [{ name: 'cpu', current: 0.9, target: 0.6 }];
const store = () => new MemoryCacheStore<string, never>();
const clockLike = new ManualClock();

const SUBJECTS: readonly Subject[] = [
  {
    name: 'LoadBalancer',
    build: (options) => new LoadBalancer(endpoints, options),
    observe: (built) => {
      const lb = built as LoadBalancer<string>;
      return { strategy: lb.strategyName, stats: lb.stats() };
    },
    defaults: {
      ...LOAD_BALANCER_DEFAULTS,
      outlierDetection: OUTLIER_DETECTION_DEFAULTS,
      clock: systemClock,
      random: Math.random,
      strategy: undefined,
      isFailure: undefined,
    },
    bad: [
      ['name', ''],
      ['name', 7],
      ['latencyDecayMs', 0],
      ['latencyDecayMs', Number.NaN],
      ['latencyDecayMs', '10'],
      ['initialLatencyMs', -1],
      ['strategy', {}],
      ['strategy', 'round-robin'],
      ['clock', {}],
      ['random', 0.5],
      ['isFailure', true],
      ['outlierDetection', true],
      ['outlierDetection', null],
    ],
  },
  {
    name: 'LoadBalancer outlierDetection',
    build: (outlierDetection) => new LoadBalancer(endpoints, { outlierDetection }),
    observe: (built) => (built as LoadBalancer<string>).stats(),
    defaults: { ...OUTLIER_DETECTION_DEFAULTS },
    bad: [
      ['outlierDetection.consecutiveFailures', 0],
      ['outlierDetection.consecutiveFailures', 1.5],
      ['outlierDetection.failureRateThreshold', 0],
      ['outlierDetection.failureRateThreshold', 1.5],
      ['outlierDetection.minimumRequests', 0],
      ['outlierDetection.intervalMs', 0],
      ['outlierDetection.baseEjectionMs', Number.NaN],
      ['outlierDetection.maxEjectionMs', 10],
      ['outlierDetection.maxEjectedFraction', 2],
    ],
  },
  {
    name: 'consistentHashAffinity',
    build: (options) => consistentHashAffinity(options),
    observe: (built) => (built as { name: string }).name,
    defaults: { ...CONSISTENT_HASH_AFFINITY_DEFAULTS },
    bad: [
      ['epsilon', -0.1],
      ['epsilon', Number.NaN],
      ['virtualNodes', 0],
      ['virtualNodes', 100_001],
    ],
  },
  {
    name: 'HashRing',
    build: (options) => new HashRing(['a', 'b', { id: 'c', weight: 2 }], options),
    observe: (built) => {
      const ring = built as HashRing;
      return { points: ring.pointCount, owner: ring.get('user-42'), positions: ring.positions() };
    },
    defaults: { ...HASH_RING_DEFAULTS },
    bad: [
      ['virtualNodes', 0],
      ['virtualNodes', 2.5],
      ['virtualNodes', 100_001],
      ['hash', 'murmur3'],
    ],
  },
  {
    name: 'ShardRouter',
    build: (options) => new ShardRouter(['a', 'b', 'c'], options),
    observe: (built) => {
      const router = built as ShardRouter;
      return { factor: router.replicationFactor, list: router.preferenceList('order-7') };
    },
    defaults: { ...SHARD_ROUTER_DEFAULTS },
    bad: [
      ['replicationFactor', 0],
      ['replicationFactor', 1_001],
      ['virtualNodes', -1],
      ['hash', 42],
    ],
  },
  {
    name: 'simulateLoadBalancing',
    build: (options) =>
      simulateLoadBalancing(roundRobin, {
        backends: [
          { id: 'fast', meanLatencyMs: 5 },
          { id: 'slow', meanLatencyMs: 50 },
        ],
        ...options,
        requests: options['requests'] === undefined ? 300 : options['requests'],
      } as never),
    observe: (built) => (built as { p99: number }).p99,
    defaults: { seed: 1, arrivalsPerSecond: 200, outlierDetection: OUTLIER_DETECTION_DEFAULTS },
    bad: [
      ['requests', 0],
      ['arrivalsPerSecond', 0],
      ['seed', 0.5],
      ['backends', []],
    ],
  },
  {
    name: 'recommendReplicas',
    build: (options) =>
      recommendReplicas({ currentReplicas: 2, maxReplicas: 10, now: 0, metrics: metric, ...options }),
    observe: (built) => built,
    defaults: {
      ...RECOMMEND_REPLICAS_DEFAULTS,
      behavior: { scaleUp: DEFAULT_SCALE_UP_RULES, scaleDown: DEFAULT_SCALE_DOWN_RULES },
      history: { recommendations: [], events: [] },
    },
    bad: [
      ['minReplicas', 0],
      ['tolerance', 2],
      ['tolerance', Number.NaN],
      ['history', {}],
      ['behavior', 'fast'],
      ['maxReplicas', undefined],
      ['currentReplicas', undefined],
      ['now', undefined],
      ['metrics', []],
    ],
  },
  {
    name: 'recommendReplicas behavior.scaleUp',
    build: (scaleUp) =>
      recommendReplicas({
        currentReplicas: 2,
        maxReplicas: 10,
        now: 0,
        metrics: metric,
        behavior: { scaleUp },
      }),
    observe: (built) => built,
    defaults: { ...DEFAULT_SCALE_UP_RULES },
    bad: [
      ['behavior.scaleUp.stabilizationWindowSeconds', 3_601],
      ['behavior.scaleUp.selectPolicy', 'Most'],
      ['behavior.scaleUp.policies', []],
      ['behavior.scaleUp.policies', 'all'],
    ],
  },
  {
    name: 'AutoScaler',
    build: (options) => new AutoScaler({ maxReplicas: 10, ...options } as never),
    observe: (built) => {
      const scaler = built as AutoScaler;
      return { replicas: scaler.replicas, next: scaler.evaluate(metric).replicas };
    },
    defaults: {
      minReplicas: 1,
      initialReplicas: 1,
      tolerance: 0.1,
      behavior: { scaleUp: DEFAULT_SCALE_UP_RULES, scaleDown: DEFAULT_SCALE_DOWN_RULES },
      clock: systemClock,
      name: 'default',
    },
    bad: [
      ['name', ''],
      ['name', 7],
      ['minReplicas', 0],
      ['maxReplicas', undefined],
      ['initialReplicas', -1],
      ['tolerance', -0.1],
      ['clock', {}],
    ],
  },
  {
    name: 'LruCache',
    build: (options) => new LruCache(options),
    observe: (built) => {
      const cache = built as LruCache<string, string>;
      cache.set('a', 'x');
      return { max: cache.max, maxSize: cache.maxSize, ttl: cache.remainingTtl('a') };
    },
    defaults: { ...LRU_CACHE_DEFAULTS, sizeOf: undefined, onDispose: undefined },
    bad: [
      ['name', ''],
      ['name', 7],
      ['max', 0],
      ['max', 1.5],
      ['max', Number.NaN],
      ['maxSize', 0],
      ['ttl', -1],
      ['sizeOf', 'length'],
      ['onDispose', {}],
      ['clock', {}],
    ],
  },
  {
    name: 'WTinyLfuCache',
    build: (options) => new WTinyLfuCache({ max: 100, ...options } as never),
    observe: (built) => {
      const cache = built as WTinyLfuCache<string, string>;
      return { max: cache.max, window: cache.windowSize };
    },
    defaults: { ...W_TINY_LFU_CACHE_DEFAULTS, onDispose: undefined },
    bad: [
      ['name', ''],
      ['name', 7],
      ['max', undefined],
      ['max', 0],
      ['max', Infinity],
      ['windowFraction', 1.1],
      ['protectedFraction', -1],
      ['adaptive', 'yes'],
      ['doorkeeper', 1],
      ['ttl', -5],
      ['random', 3],
    ],
  },
  {
    name: 'MemoryCacheStore',
    build: (options) => new MemoryCacheStore(options),
    observe: (built) => (built as MemoryCacheStore).cache.max,
    defaults: { ...MEMORY_CACHE_STORE_DEFAULTS, clock: systemClock, cache: undefined },
    bad: [
      ['max', 0],
      ['ttl', -1],
      ['cache', {}],
      ['clock', 'now'],
    ],
  },
  {
    name: 'createCacheAside',
    build: (options) => createCacheAside(store(), async () => 'x', options),
    observe: (built) => typeof (built as { get: unknown }).get,
    defaults: { ...CACHE_ASIDE_DEFAULTS },
    bad: [
      ['name', ''],
      ['name', 7],
      ['ttl', 0],
      ['ttl', Number.NaN],
      ['staleWhileRevalidate', -1],
      ['jitter', 2],
      ['earlyRecompute', -1],
      ['negativeTtl', -1],
      ['policy', {}],
      ['logger', console.log],
      ['clock', {}],
      ['random', 'seeded'],
    ],
  },
  {
    name: 'createWriteThrough',
    build: (options) => createWriteThrough(store(), async () => {}, options),
    observe: (built) => typeof (built as { set: unknown }).set,
    defaults: { ...WRITE_THROUGH_DEFAULTS, remove: undefined },
    bad: [
      ['remove', 'DELETE'],
      ['logger', {}],
    ],
  },
  {
    name: 'createWriteBehind',
    build: (options) => createWriteBehind(store(), async () => {}, { clock: clockLike, ...options }),
    observe: (built) => (built as { pending: number }).pending,
    defaults: { ...WRITE_BEHIND_DEFAULTS, clock: clockLike, onFlushError: undefined },
    bad: [
      ['name', ''],
      ['name', 7],
      ['flushInterval', 0],
      ['flushInterval', Infinity],
      ['maxBatchSize', 0],
      ['retryDelay', 0],
      ['maxRetryDelay', -1],
      ['onFlushError', 'log'],
      ['logger', {}],
      ['clock', { now: () => 0 }],
    ],
  },
];

function validationError(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (isValidationError(error)) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}

/** The options setting one option; nested subjects build from the inner object, so the last name. */
function optionsAt(path: string, value: unknown): Options {
  return { [path.split('.').at(-1)!]: value };
}

describe.each(SUBJECTS)('$name options', (subject) => {
  const keys = Object.keys(subject.defaults);
  const expected = subject.observe(subject.build({}));

  it('keeps the default of every option set to undefined', () => {
    const allUndefined = Object.fromEntries(keys.map((key) => [key, undefined]));
    expect(subject.observe(subject.build(allUndefined))).toEqual(expected);
  });

  it.each(keys)('keeps the default of %s when it alone is undefined', (key) => {
    expect(subject.observe(subject.build({ [key]: undefined }))).toEqual(expected);
  });

  it('accepts every documented default passed explicitly', () => {
    const explicit = Object.fromEntries(
      Object.entries(subject.defaults).filter(([, value]) => value !== undefined),
    );
    expect(subject.observe(subject.build(explicit))).toEqual(expected);
  });

  it.each(subject.bad)('refuses %s = %o at construction with a ValidationError naming it', (path, value) => {
    const error = validationError(() => subject.build(optionsAt(path, value)));
    expect(error.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});

describe('explicit Infinity where Infinity is the default', () => {
  it('builds an LruCache from { max: Infinity } and { maxSize: Infinity, ttl: Infinity }', () => {
    expect(new LruCache({ max: Infinity }).max).toBe(Infinity);
    const cache = new LruCache<string, number>({ maxSize: Infinity, ttl: Infinity, clock: clockLike });
    cache.set('a', 1);
    clockLike.advance(1e12);
    expect(cache.get('a')).toBe(1);
  });
});

describe('undefined keeps the default in behaviour, not only in shape', () => {
  it('LoadBalancer ejects after the default 5 failures in a row when consecutiveFailures is undefined', async () => {
    const lb = new LoadBalancer(
      [
        { id: 'a', value: 'a' },
        { id: 'b', value: 'b' },
      ],
      {
        strategy: roundRobin(),
        clock: new ManualClock(),
        outlierDetection: { consecutiveFailures: undefined },
      },
    );
    const ejected: string[] = [];
    lb.onEjected(({ id }) => ejected.push(id));
    for (let call = 0; call < 10; call++) {
      await lb
        .execute(async (value) => {
          if (value === 'a') throw new Error('down');
        })
        .catch(() => undefined);
    }
    expect(ejected).toEqual(['a']);
    expect(lb.stats().find((s) => s.id === 'a')!.failures).toBe(5);
  });

  it('write-behind flushes after the default 1 s when flushInterval is undefined', async () => {
    const clock = new ManualClock();
    let flushed = 0;
    const writes = createWriteBehind(
      new MemoryCacheStore<string, number>({ clock }),
      async (batch) => void (flushed += batch.length),
      { clock, flushInterval: undefined, maxBatchSize: undefined, retryDelay: undefined },
    );
    await writes.set('a', 1);
    await clock.tickAsync(999);
    expect(flushed).toBe(0);
    await clock.tickAsync(1);
    expect(flushed).toBe(1);
  });

  it('cache-aside keeps a value fresh for the default 60 s when ttl is undefined', async () => {
    const clock = new ManualClock();
    let loads = 0;
    const cache = createCacheAside(new MemoryCacheStore<string, never>({ clock }), async () => ++loads, {
      clock,
      ttl: undefined,
      jitter: undefined,
      policy: undefined,
      logger: undefined,
    });
    await cache.get('k');
    clock.advance(59_999);
    await cache.get('k');
    expect(loads).toBe(1);
    clock.advance(1);
    await cache.get('k');
    expect(loads).toBe(2);
  });

  it('AutoScaler starts at minReplicas when initialReplicas is undefined', () => {
    const scaler = new AutoScaler({ minReplicas: 3, maxReplicas: 10, initialReplicas: undefined });
    expect(scaler.replicas).toBe(3);
  });
});
