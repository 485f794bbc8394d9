// @keel/resilience reports through core's points: span events on the caller's span and metrics,
// never spans of its own. These tests read them back from the real SDK.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, withSpan } from '@keel/core';
import type { PolicyContext } from '@keel/core';
import {
  bulkhead,
  chaos,
  circuitBreaker,
  consecutiveFailures,
  constantBackoff,
  fallback,
  gcra,
  hedge,
  rateLimiter,
  retry,
  timeout,
} from '@keel/resilience';
import type { TimedEvent } from '@opentelemetry/sdk-trace-base';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

let kit: OtelTestKit;
let clock: ManualClock;
beforeEach(() => {
  kit = otelTestKit();
  clock = new ManualClock();
});
afterEach(() => kit.close());

/** Runs `work` inside a span named `caller`, as a request handler would. */
function inCaller<TResult>(work: () => Promise<TResult>): Promise<TResult> {
  return withSpan('caller', {}, work);
}

function events(name?: string): TimedEvent[] {
  const all = kit.span('caller').events;
  return name === undefined ? all : all.filter((event) => event.name === name);
}

const failing = (message: string) => (): Promise<never> => Promise.reject(new TypeError(message));
const never = ({ signal }: PolicyContext): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));

describe('resilience telemetry: retry', () => {
  it('adds an event per retry with its attempt and delay, and counts retries', async () => {
    const policy = retry({ name: 'payments', maxRetries: 3, backoff: constantBackoff(100), clock });
    let calls = 0;
    await inCaller(async () => {
      const done = policy.execute(() => (++calls < 3 ? Promise.reject(new TypeError('flaky')) : 'paid'));
      await clock.runAllAsync();
      return done;
    });
    expect(events('resilience.retry').map((event) => event.attributes)).toEqual([
      {
        'keel.policy.name': 'payments',
        'keel.policy.kind': 'retry',
        'error.type': 'TypeError',
        'keel.retry.attempt': 2,
        'keel.retry.delay_ms': 100,
      },
      expect.objectContaining({ 'keel.retry.attempt': 3 }),
    ]);
    expect(await kit.value('keel.resilience.retries', { 'keel.policy.name': 'payments' })).toBe(2);
  });

  it('records each attempt in the duration histogram by outcome and error type', async () => {
    const policy = retry({ name: 'payments', backoff: constantBackoff(0), clock });
    let calls = 0;
    await inCaller(async () => {
      const done = policy.execute(async () => {
        clock.advance(250);
        if (++calls < 3) throw new TypeError('flaky');
        return 'paid';
      });
      await clock.runAllAsync();
      return done;
    });
    const [failures] = await kit.points('keel.resilience.duration', {
      'keel.policy.name': 'payments',
      'keel.outcome': 'failure',
      'error.type': 'TypeError',
    });
    const [successes] = await kit.points('keel.resilience.duration', { 'keel.outcome': 'success' });
    expect(failures).toMatchObject({ unit: 's', count: 2, value: 0.5 });
    expect(successes).toMatchObject({ count: 1, value: 0.25 });
  });

  it('adds a give-up event and counts it by reason when retries run out', async () => {
    const policy = retry({ name: 'payments', maxRetries: 1, backoff: constantBackoff(0), clock });
    await inCaller(async () => {
      const done = policy.execute(failing('down')).catch(() => 'gave up');
      await clock.runAllAsync();
      return done;
    });
    expect(events('resilience.give_up')[0]?.attributes).toMatchObject({
      'keel.reason': 'max-retries',
      'keel.retry.attempts': 2,
      'error.type': 'TypeError',
    });
    expect(await kit.value('keel.resilience.give_ups', { 'keel.reason': 'max-retries' })).toBe(1);
  });

  it('starts no span of its own', async () => {
    await inCaller(() => retry({ clock }).execute(() => 'ok'));
    expect(kit.spans().map((span) => span.name)).toEqual(['caller']);
  });

  it('keeps two named policies apart in the metrics', async () => {
    const a = retry({ name: 'a', clock });
    const b = retry({ name: 'b', clock });
    await a.execute(() => 1);
    await b.execute(() => 2);
    await b.execute(() => 3);
    const [pointA] = await kit.points('keel.resilience.duration', { 'keel.policy.name': 'a' });
    const [pointB] = await kit.points('keel.resilience.duration', { 'keel.policy.name': 'b' });
    expect([pointA?.count, pointB?.count]).toEqual([1, 2]);
  });
});

describe('resilience telemetry: circuit breaker', () => {
  const breakerFor = () =>
    circuitBreaker({ name: 'inventory', strategy: consecutiveFailures(2), breakDuration: 1_000, clock });

  it('adds an event when the circuit opens and sets the state gauge', async () => {
    const breaker = breakerFor();
    await inCaller(async () => {
      for (let i = 0; i < 2; i++) await breaker.execute(failing('down')).catch(() => {});
    });
    expect(events('resilience.circuit.opened')[0]?.attributes).toMatchObject({
      'keel.policy.name': 'inventory',
      'keel.circuit.from': 'closed',
      'keel.circuit.state': 'open',
      'keel.reason': 'consecutive-failures',
      'keel.circuit.break_ms': 1_000,
    });
    expect(await kit.value('keel.resilience.circuit.state', { 'keel.circuit.state': 'open' })).toBe(1);
    expect(await kit.value('keel.resilience.circuit.state', { 'keel.circuit.state': 'closed' })).toBe(0);
  });

  it('adds a rejection event and counts refusals while the circuit is open', async () => {
    const breaker = breakerFor();
    breaker.isolate();
    await inCaller(() => breaker.execute(() => 'never').catch(() => {}));
    expect(events('resilience.rejected')[0]?.attributes).toMatchObject({
      'keel.policy.kind': 'circuitBreaker',
      'keel.reason': 'isolated',
      'error.type': 'CIRCUIT_BROKEN',
    });
    expect(await kit.value('keel.resilience.rejections', { 'keel.reason': 'isolated' })).toBe(1);
  });

  it('reports half-open and close transitions and counts every transition', async () => {
    const breaker = breakerFor();
    await inCaller(async () => {
      for (let i = 0; i < 2; i++) await breaker.execute(failing('down')).catch(() => {});
      clock.advance(1_000);
      await breaker.execute(() => 'probe');
    });
    expect(events().map((event) => event.name)).toEqual([
      'resilience.circuit.opened',
      'resilience.circuit.half_opened',
      'resilience.circuit.closed',
    ]);
    expect(await kit.value('keel.resilience.circuit.transitions')).toBe(3);
    expect(
      await kit.value('keel.resilience.circuit.transitions', {
        'keel.circuit.from': 'half-open',
        'keel.circuit.state': 'closed',
      }),
    ).toBe(1);
    expect(await kit.value('keel.resilience.circuit.state', { 'keel.circuit.state': 'closed' })).toBe(1);
  });
});

describe('resilience telemetry: timeout, bulkhead, rate limiter', () => {
  it('adds a timeout event, counts the timeout and records the call as a TIMEOUT failure', async () => {
    const policy = timeout(50, { name: 'search', clock });
    await inCaller(async () => {
      const done = policy.execute(never).catch(() => {});
      await clock.tickAsync(50);
      return done;
    });
    expect(events('resilience.timeout')[0]?.attributes).toMatchObject({
      'keel.policy.name': 'search',
      'keel.timeout.strategy': 'cooperative',
      'keel.timeout.ms': 50,
    });
    expect(await kit.value('keel.resilience.timeouts', { 'keel.policy.name': 'search' })).toBe(1);
    const [point] = await kit.points('keel.resilience.duration', { 'error.type': 'TIMEOUT' });
    expect(point).toMatchObject({ count: 1, value: 0.05 });
  });

  it('reports running and queued calls as gauges and rejects the overflow with an event', async () => {
    const pool = bulkhead(1, { name: 'db', maxQueue: 1 });
    let release!: () => void;
    const running = pool.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const queued = pool.execute(() => 'queued');
    await inCaller(() => pool.execute(() => 'rejected').catch(() => {}));
    expect(await kit.value('keel.resilience.bulkhead.executing', { 'keel.policy.name': 'db' })).toBe(1);
    expect(await kit.value('keel.resilience.bulkhead.queued', { 'keel.policy.name': 'db' })).toBe(1);
    expect(events('resilience.rejected')[0]?.attributes).toMatchObject({
      'keel.policy.kind': 'bulkhead',
      'keel.reason': 'full',
      'error.type': 'BULKHEAD_REJECTED',
    });
    release();
    await Promise.all([running, queued]);
    expect(await kit.value('keel.resilience.bulkhead.executing')).toBe(0);
    expect(await kit.value('keel.resilience.bulkhead.queued')).toBe(0);
    expect(await kit.value('keel.resilience.rejections', { 'keel.reason': 'full' })).toBe(1);
  });

  it('counts allowed and rejected rate-limit decisions and adds an event with the key', async () => {
    const limiter = rateLimiter(gcra({ limit: 1, periodMs: 1_000, burst: 1 }), { name: 'api', clock });
    await inCaller(async () => {
      await limiter.executeFor('tenant-7', () => 'first');
      await limiter.executeFor('tenant-7', () => 'second').catch(() => {});
    });
    expect(await kit.value('keel.resilience.rate_limit.decisions', { 'keel.outcome': 'allowed' })).toBe(1);
    expect(await kit.value('keel.resilience.rate_limit.decisions', { 'keel.outcome': 'rejected' })).toBe(1);
    expect(events('resilience.rejected')[0]?.attributes).toMatchObject({
      'keel.policy.name': 'api',
      'keel.reason': 'rate-limited',
      'keel.rate_limit.key': 'tenant-7',
      'error.type': 'RATE_LIMITED',
    });
    const [point] = await kit.points('keel.resilience.rejections', { 'keel.policy.kind': 'rateLimiter' });
    expect(point?.attributes).not.toHaveProperty('keel.rate_limit.key');
  });
});

describe('resilience telemetry: hedge, fallback, chaos', () => {
  it('adds an event per hedge launched and counts a hedge that wins', async () => {
    const policy = hedge({ name: 'replicas', delay: 10, clock });
    await inCaller(async () => {
      const done = policy.execute((context) => (context.attempt === 1 ? never(context) : 'from hedge'));
      await clock.tickAsync(10);
      return done;
    });
    expect(events('resilience.hedge')[0]?.attributes).toMatchObject({
      'keel.policy.name': 'replicas',
      'keel.hedge.attempt': 2,
      'keel.hedge.trigger': 'delay',
    });
    expect(await kit.value('keel.resilience.hedges', { 'keel.hedge.trigger': 'delay' })).toBe(1);
    expect(await kit.value('keel.resilience.hedge.wins', { 'keel.hedge.winner': 'hedge' })).toBe(1);
    const [aborted] = await kit.points('keel.resilience.duration', { 'keel.outcome': 'aborted' });
    expect(aborted?.count).toBe(1);
  });

  it('adds a fallback event with the replaced error type and counts it', async () => {
    const policy = fallback('cached', { name: 'prices' });
    await inCaller(() => policy.execute(failing('down')));
    expect(events('resilience.fallback')[0]?.attributes).toMatchObject({
      'keel.policy.name': 'prices',
      'error.type': 'TypeError',
    });
    expect(await kit.value('keel.resilience.fallbacks', { 'keel.policy.name': 'prices' })).toBe(1);
  });

  it('adds an event per chaos injection and counts it by kind', async () => {
    const policy = chaos({ name: 'game-day', faultRate: 1, clock });
    await inCaller(() => policy.execute(() => 'never').catch(() => {}));
    expect(events('resilience.chaos')[0]?.attributes).toMatchObject({ 'keel.chaos.kind': 'fault' });
    expect(await kit.value('keel.resilience.chaos.injections', { 'keel.chaos.kind': 'fault' })).toBe(1);
  });

  it('records metrics and drops span events when no span is active', async () => {
    const policy = fallback('cached', { name: 'prices' });
    await expect(policy.execute(failing('down'))).resolves.toBe('cached');
    expect(kit.spans()).toEqual([]);
    expect(await kit.value('keel.resilience.fallbacks')).toBe(1);
  });
});
