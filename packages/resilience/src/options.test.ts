// Every factory of @keel/resilience against the Keel options rule: an option set to `undefined`
// behaves exactly as its default (and so does the documented default passed explicitly), a
// missing required value and an object of the wrong kind are refused at construction with one
// ValidationError naming the option.
import { isValidationError, noopLogger, systemClock } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import {
  constantBackoff,
  decorrelatedJitterBackoff,
  exponentialBackoff,
  linearBackoff,
} from './backoff/backoff.js';
import { bulkhead } from './bulkhead/bulkhead.js';
import { chaos } from './chaos/chaos.js';
import { consecutiveFailures, countWindow, timeWindow } from './circuitBreaker/breakerStrategy.js';
import { circuitBreaker } from './circuitBreaker/circuitBreaker.js';
import { fallback } from './fallback/fallback.js';
import { hedge } from './hedge/hedge.js';
import {
  backoffs,
  runBreaker,
  runBudget,
  runBulkhead,
  runChaos,
  runCountWindow,
  runFallback,
  runGcra,
  runHedge,
  runRateLimiter,
  runRetry,
  runRetryRealTime,
  runStore,
  runTimeout,
  runTimeWindow,
} from './options.fixture.js';
import type { Extra } from './options.fixture.js';
import { pipeline } from './pipeline/pipeline.js';
import { gcra } from './rateLimiter/gcra.js';
import { rateLimiter } from './rateLimiter/rateLimiter.js';
import { InMemoryRateLimitStore } from './rateLimiter/rateLimitStore.js';
import { slidingWindow } from './rateLimiter/slidingWindow.js';
import { tokenBucket } from './rateLimiter/tokenBucket.js';
import { retry } from './retry/retry.js';
import { retryBudget } from './retry/retryBudget.js';
import { timeout } from './timeout/timeout.js';

/** Marks an option whose default is "none": there is no value to pass explicitly. */
const NONE = Symbol('no explicit default');

type Run = (extra: Extra) => unknown;

/** One option of one factory: its documented default and a scenario that shows it. */
interface Row {
  readonly name: string;
  readonly option: string;
  readonly documented: unknown;
  readonly run: Run;
}

function rows(
  name: string,
  run: Run,
  defaults: Record<string, unknown>,
  runs: Record<string, Run> = {},
): Row[] {
  return Object.entries(defaults).map(([option, documented]) => ({
    name,
    option,
    documented,
    run: runs[option] ?? run,
  }));
}

const DEFAULTS: Row[] = [
  ...rows(
    'retry',
    runRetry,
    {
      maxRetries: 3,
      backoff: exponentialBackoff(200),
      handle: () => true,
      handleResult: NONE,
      retryAfter: NONE,
      maxDelay: 30_000,
      budget: NONE,
      clock: systemClock,
      logger: noopLogger,
    },
    {
      handleResult: (extra) => runRetry(extra, { maxRetries: 1 }),
      maxDelay: (extra) => runRetry(extra, { maxRetries: 1, retryAfter: () => 60_000 }),
      clock: runRetryRealTime,
    },
  ),
  ...rows('retryBudget', runBudget, { ratio: 0.2, windowMs: 10_000, minRetries: 10, buckets: 10 }),
  ...rows('constantBackoff', backoffs.constant, { maxDelay: 30_000, jitter: 'none' }),
  ...rows('linearBackoff', backoffs.linear, { maxDelay: 30_000, jitter: 'none', step: 100 }),
  ...rows('exponentialBackoff', backoffs.exponential, { maxDelay: 30_000, jitter: 'none', factor: 2 }),
  ...rows('decorrelatedJitterBackoff', backoffs.decorrelated, { maxDelay: 30_000 }),
  ...rows('circuitBreaker', runBreaker, {
    strategy: consecutiveFailures(5),
    breakDuration: 30_000,
    halfOpenProbes: 1,
    successThreshold: 1,
    slowCallDuration: Infinity,
    handle: () => true,
    handleResult: NONE,
    initialState: { version: 1, state: 'closed', breakCount: 0 },
    logger: noopLogger,
  }),
  ...rows('countWindow', runCountWindow, { failureRatio: 0.5, slowCallRatio: NONE, minimumThroughput: 4 }),
  ...rows('timeWindow', runTimeWindow, {
    failureRatio: 0.5,
    slowCallRatio: NONE,
    minimumThroughput: 10,
    buckets: 10,
  }),
  ...rows('timeout', runTimeout, { strategy: 'cooperative', operation: 'Operation', logger: noopLogger }),
  ...rows(
    'bulkhead',
    runBulkhead,
    { maxQueue: 0, queueTimeout: Infinity, logger: noopLogger },
    { queueTimeout: (extra) => runBulkhead(extra, { maxQueue: 1 }) },
  ),
  ...rows('fallback', runFallback, { handle: () => true, handleResult: NONE, logger: noopLogger }),
  ...rows(
    'rateLimiter',
    runRateLimiter,
    { store: NONE, name: 'rate-limit', maxWait: 0, logger: noopLogger },
    { store: (extra) => runRateLimiter(extra, false) },
  ),
  ...rows('gcra', runGcra, { burst: 3 }),
  ...rows('InMemoryRateLimitStore', runStore, { maxKeys: 10_000 }),
  ...rows(
    'hedge',
    runHedge,
    { delay: 2_000, maxHedges: 1, handle: () => true, budget: NONE, logger: noopLogger },
    { handle: (extra) => runHedge(extra, true) },
  ),
  ...rows(
    'chaos',
    runChaos,
    {
      latencyRate: 0,
      latency: 1_000,
      faultRate: 0,
      fault: NONE,
      resultRate: 0,
      enabled: true,
      logger: noopLogger,
    },
    {
      latency: (extra) => runChaos(extra, { latencyRate: 0.5 }),
      fault: (extra) => runChaos(extra, { faultRate: 0.5 }),
      enabled: (extra) => runChaos(extra, { faultRate: 0.5 }),
    },
  ),
];

describe('options: undefined keeps the default', () => {
  it.each(DEFAULTS.map((row) => [`${row.name}({ ${row.option}: undefined })`, row] as const))(
    '%s behaves as when the option is absent',
    async (_, row) => {
      expect(await row.run({ [row.option]: undefined })).toEqual(await row.run({}));
    },
  );

  it.each(
    DEFAULTS.filter((row) => row.documented !== NONE).map(
      (row) => [`${row.name}({ ${row.option}: ${String(row.documented)} })`, row] as const,
    ),
  )(
    '%s (the documented default, passed explicitly) is accepted and behaves as the default',
    async (_, row) => {
      expect(await row.run({ [row.option]: row.documented })).toEqual(await row.run({}));
    },
  );

  it.each([
    [
      'retry',
      () => retry({ maxRetries: undefined, backoff: undefined, handle: undefined, clock: undefined }),
    ],
    [
      'circuitBreaker',
      () => circuitBreaker({ strategy: undefined, breakDuration: undefined, clock: undefined }),
    ],
    ['bulkhead', () => bulkhead(2, { maxQueue: undefined, queueTimeout: undefined, logger: undefined })],
    [
      'rateLimiter',
      () => rateLimiter(gcra({ limit: 1, periodMs: 1, burst: undefined }), { store: undefined }),
    ],
  ])('%s accepts every option undefined at once', (_, make) => {
    expect(make).not.toThrow();
  });

  it('an acquire with permits: undefined takes one permit', async () => {
    const limiter = rateLimiter(tokenBucket({ capacity: 2, refillPerSecond: 1 }));
    expect(await limiter.acquire('k', { permits: undefined })).toMatchObject({ remaining: 1 });
  });
});

function refusal(make: () => unknown): ValidationError {
  try {
    make();
  } catch (error) {
    if (isValidationError(error)) return error;
    throw new Error(`Expected a ValidationError, got ${String(error)}`, { cause: error });
  }
  throw new Error('Expected a ValidationError, but nothing was thrown.');
}

const loose = <T>(value: unknown): T => value as T;

const REQUIRED: [string, () => unknown, string][] = [
  ['tokenBucket without capacity', () => tokenBucket(loose({ refillPerSecond: 1 })), 'capacity'],
  ['tokenBucket without refillPerSecond', () => tokenBucket(loose({ capacity: 1 })), 'refillPerSecond'],
  [
    'tokenBucket({ capacity: undefined })',
    () => tokenBucket(loose({ capacity: undefined, refillPerSecond: 1 })),
    'capacity',
  ],
  ['tokenBucket without options', () => tokenBucket(loose(undefined)), 'capacity'],
  ['slidingWindow without windowMs', () => slidingWindow(loose({ limit: 5 })), 'windowMs'],
  ['slidingWindow without limit', () => slidingWindow(loose({ windowMs: 1_000 })), 'limit'],
  ['gcra without limit', () => gcra(loose({ periodMs: 1_000 })), 'limit'],
  ['gcra without periodMs', () => gcra(loose({ limit: 5 })), 'periodMs'],
  ['timeWindow without windowMs', () => timeWindow(loose({ failureRatio: 0.5 })), 'windowMs'],
  ['countWindow without size', () => countWindow(loose({})), 'size'],
  ['consecutiveFailures without threshold', () => consecutiveFailures(loose(undefined)), 'threshold'],
  ['timeout without ms', () => timeout(loose(undefined)), 'ms'],
  ['bulkhead without maxConcurrent', () => bulkhead(loose(undefined)), 'maxConcurrent'],
  ['rateLimiter without algorithm', () => rateLimiter(loose(undefined)), 'algorithm'],
  ['constantBackoff without delay', () => constantBackoff(loose(undefined)), 'delay'],
  ['linearBackoff without delay', () => linearBackoff(loose(undefined)), 'delay'],
  ['exponentialBackoff without delay', () => exponentialBackoff(loose(undefined)), 'delay'],
  ['decorrelatedJitterBackoff without delay', () => decorrelatedJitterBackoff(loose(undefined)), 'delay'],
  ['chaos with resultRate but no result', () => chaos({ resultRate: 0.1 }), 'result'],
  [
    'fallback with a handler of undefined',
    () => new (fallback(1).constructor as never as new (h: unknown) => unknown)(undefined),
    'handler',
  ],
  ['pipeline with a missing layer', () => pipeline(retry(), loose<never>(undefined)), 'policies.1'],
];

describe('options: a missing required value is refused at construction', () => {
  it.each(REQUIRED)('%s', (_, make, path) => {
    const error = refusal(make);
    expect(error.issues.map((issue) => issue.path.join('.'))).toContain(path);
    expect(error.message).toMatch(/is required/);
  });
});

const notABudget = { available: 3 };
const WRONG_KIND: [string, () => unknown, string][] = [
  ['retry budget that is not a RetryBudget', () => retry({ budget: loose(notABudget) }), 'budget'],
  ['retry backoff that is a number', () => retry({ backoff: loose(200) }), 'backoff'],
  ['retry backoff that is a plain object', () => retry({ backoff: loose({ next: () => 1 }) }), 'backoff'],
  ['retry handle that is not a function', () => retry({ handle: loose(true) }), 'handle'],
  ['retry clock that is not a Clock', () => retry({ clock: loose({ now: () => 0 }) }), 'clock'],
  ['retry logger that is not a Logger', () => retry({ logger: loose({}) }), 'logger'],
  ['hedge budget that is not a RetryBudget', () => hedge({ budget: loose(notABudget) }), 'budget'],
  ['retryBudget clock that is not a Clock', () => retryBudget({ clock: loose({ now: 0 }) }), 'clock'],
  [
    'circuitBreaker strategy that is not a BreakerStrategy',
    () => circuitBreaker({ strategy: loose({}) }),
    'strategy',
  ],
  [
    'circuitBreaker breakDuration that is not a Backoff',
    () => circuitBreaker({ breakDuration: loose({}) }),
    'breakDuration',
  ],
  [
    'circuitBreaker breakDuration that is a string',
    () => circuitBreaker({ breakDuration: loose('30s') }),
    'breakDuration',
  ],
  [
    'rateLimiter store that is not a RateLimitStore',
    () => rateLimiter(gcra({ limit: 1, periodMs: 1 }), { store: loose({}) }),
    'store',
  ],
  ['rateLimiter algorithm that is not one', () => rateLimiter(loose({ kind: 'gcra' })), 'algorithm'],
  [
    'rateLimiter name that is empty',
    () => rateLimiter(gcra({ limit: 1, periodMs: 1 }), { name: '' }),
    'name',
  ],
  ['timeout strategy that is not one of the two', () => timeout(10, { strategy: loose('hard') }), 'strategy'],
  ['bulkhead clock that is not a Clock', () => bulkhead(1, { clock: loose({}) }), 'clock'],
  ['chaos enabled that is a string', () => chaos({ enabled: loose('yes') }), 'enabled'],
  ['chaos latency that is a string', () => chaos({ latency: loose('slow') }), 'latency'],
  [
    'backoff jitter that is not one of the three',
    () => exponentialBackoff(1, { jitter: loose('some') }),
    'jitter',
  ],
  ['fallback handle that is not a function', () => fallback(1, { handle: loose('all') }), 'handle'],
  [
    'pipeline layer that is not a policy',
    () =>
      pipeline(
        retry(),
        loose<never>(() => 1),
      ),
    'policies.1',
  ],
  [
    'InMemoryRateLimitStore maxKeys that is NaN',
    () => new InMemoryRateLimitStore({ maxKeys: NaN }),
    'maxKeys',
  ],
];

describe('options: a value of the wrong kind is refused at construction', () => {
  it.each(WRONG_KIND)('%s', (_, make, path) => {
    expect(refusal(make).issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('lists every bad option in one error', () => {
    const error = refusal(() => retry({ maxRetries: -1, budget: loose({}), handle: loose(1) }));
    expect(error.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'budget',
      'handle',
      'maxRetries',
    ]);
  });
});

describe('options: documented "no limit" values are accepted', () => {
  it.each([
    ['retry({ maxRetries: Infinity })', () => retry({ maxRetries: Infinity })],
    ['retry({ maxDelay: Infinity })', () => retry({ maxDelay: Infinity })],
    [
      'bulkhead(1, { maxQueue: Infinity, queueTimeout: Infinity })',
      () => bulkhead(1, { maxQueue: Infinity, queueTimeout: Infinity }),
    ],
    ['timeout(Infinity)', () => timeout(Infinity)],
    ['hedge({ delay: Infinity })', () => hedge({ delay: Infinity })],
    ['circuitBreaker({ slowCallDuration: Infinity })', () => circuitBreaker({ slowCallDuration: Infinity })],
    [
      'rateLimiter(…, { maxWait: Infinity })',
      () => rateLimiter(gcra({ limit: 1, periodMs: 1 }), { maxWait: Infinity }),
    ],
    [
      'new InMemoryRateLimitStore({ maxKeys: Infinity })',
      () => new InMemoryRateLimitStore({ maxKeys: Infinity }),
    ],
  ])('%s', (_, make) => {
    expect(make).not.toThrow();
  });
});
