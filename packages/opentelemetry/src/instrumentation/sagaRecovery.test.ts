import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, withSpan } from '@keel/core';
import { defineSaga, InMemorySagaStore, SagaOrchestrator } from '@keel/saga';
import { CrashingSagaStore, isSimulatedCrashError } from '@keel/saga/testing';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';
import { LEASE_MS, orderWorld, start } from './sagaWorld.fixture.js';

let kit: OtelTestKit;
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(() => kit.close());

// Store writes of the test saga: 1 create, 2 reserve started, 3 reserve completed, 4 pay started,
// 5 pay completed, 6 ship started.
const PAY_STARTED = 4;
const SHIP_STARTED = 6;

/**
 * Starts the saga under a `request` span in an orchestrator whose process "crashes" right after
 * storing that payment started, then lets its lease run out. Returns the world, ready to recover.
 */
async function crashAfterPaymentStarted(atWrite = PAY_STARTED) {
  const world = orderWorld();
  const crashing = new CrashingSagaStore(world.store, { atWrite, mode: 'after' });
  const failure = await withSpan('request', {}, () =>
    start(world.orchestrator(crashing, 'crashed')).then(
      () => undefined,
      (error: unknown) => error,
    ),
  );
  expect(isSimulatedCrashError(failure)).toBe(true);
  await world.clock.tickAsync(LEASE_MS);
  return world;
}

const sagaSpans = (kit: OtelTestKit) => kit.spans().filter((span) => span.name === 'saga order');
const resumedRun = (kit: OtelTestKit): ReadableSpan => {
  const resumed = sagaSpans(kit).filter((span) => span.attributes['keel.saga.resumed'] === true);
  expect(resumed).toHaveLength(1);
  return resumed[0]!;
};

describe('saga instrumentation: trace context across a crash', () => {
  it('ends the crashed run as interrupted, failed with the crash', async () => {
    await crashAfterPaymentStarted();
    const [crashed] = sagaSpans(kit);
    expect(crashed?.attributes).toMatchObject({
      'keel.outcome': 'interrupted',
      'error.type': 'SAGA_SIMULATED_CRASH',
    });
    expect(crashed?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('continues the original trace when a fresh orchestrator recovers the saga with no span active', async () => {
    const world = await crashAfterPaymentStarted();
    const request = kit.span('request');
    const report = await world.orchestrator(world.store, 'survivor').recover();
    expect(report.outcomes).toMatchObject([{ sagaId: 's-1', status: 'completed' }]);
    const resumed = resumedRun(kit);
    expect(resumed.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(resumed.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    const steps = kit.childrenOf(resumed);
    expect(steps.map((span) => span.name)).toEqual(['saga step pay', 'saga step ship']);
    for (const step of steps) expect(step.spanContext().traceId).toBe(request.spanContext().traceId);
    // The payment started before the crash, so the resumed run is its second start.
    expect(steps[0]?.attributes['keel.saga.attempt']).toBe(2);
  });

  it('continues the trace of a start made with no span active when a fresh orchestrator recovers', async () => {
    const world = orderWorld();
    const crashing = new CrashingSagaStore(world.store, { atWrite: PAY_STARTED, mode: 'after' });
    await expect(start(world.orchestrator(crashing, 'crashed'))).rejects.toSatisfy(isSimulatedCrashError);
    await world.clock.tickAsync(LEASE_MS);
    const started = kit.span('start saga order');
    expect(started.parentSpanContext).toBeUndefined();
    await world.orchestrator(world.store, 'survivor').recover();
    const resumed = resumedRun(kit);
    expect(resumed.spanContext().traceId).toBe(started.spanContext().traceId);
    expect(resumed.parentSpanContext?.spanId).toBe(started.spanContext().spanId);
  });

  it('links the stored trace when the recovering orchestrator runs under a span of its own', async () => {
    const world = await crashAfterPaymentStarted();
    const request = kit.span('request');
    await withSpan('recovery pass', {}, () => world.orchestrator(world.store, 'survivor').recover());
    const pass = kit.span('recovery pass');
    const resumed = resumedRun(kit);
    expect(resumed.parentSpanContext?.spanId).toBe(pass.spanContext().spanId);
    expect(resumed.links.map((link) => link.context.spanId)).toEqual([request.spanContext().spanId]);
    expect(resumed.links[0]?.context.traceId).toBe(request.spanContext().traceId);
  });

  it('links the original trace when a later start with the same id resumes the saga', async () => {
    const world = await crashAfterPaymentStarted();
    const request = kit.span('request');
    await start(world.orchestrator(world.store, 'survivor'));
    const resumed = resumedRun(kit);
    // The later start is an operation of its own: the resumed run nests in it and links the original.
    expect(resumed.parentSpanContext?.spanId).toBe(kit.span('start saga order').spanContext().spanId);
    expect(resumed.links.map((link) => link.context.traceId)).toEqual([request.spanContext().traceId]);
    expect(resumed.attributes['keel.outcome']).toBe('completed');
  });

  it('counts the resumed saga as a recovery, not as a second start', async () => {
    const world = await crashAfterPaymentStarted();
    await world.orchestrator(world.store, 'survivor').recover();
    expect(await kit.value('keel.saga.recoveries', { 'keel.saga.name': 'order' })).toBe(1);
    expect(await kit.value('keel.saga.starts', { 'keel.saga.name': 'order' })).toBe(1);
    expect(await kit.value('keel.saga.outcomes', { 'keel.outcome': 'completed' })).toBe(1);
  });

  it('reports a step that ran out of time while its process was down as a timeout of the resumed run', async () => {
    const world = await crashAfterPaymentStarted(SHIP_STARTED);
    const report = await world.orchestrator(world.store, 'survivor').recover();
    expect(report.outcomes).toMatchObject([{ status: 'compensated' }]);
    const resumed = resumedRun(kit);
    const timeouts = resumed.events.filter((event) => event.name === 'timeout');
    expect(timeouts.map((event) => event.attributes)).toEqual([
      { 'keel.saga.step': 'ship', 'error.type': 'TIMEOUT' },
    ]);
    expect(kit.childrenOf(resumed).map((span) => span.name)).toEqual([
      'saga compensate pay',
      'saga compensate reserve',
    ]);
  });

  it('reports a deadline that passed while the process was down as an event of the resumed run', async () => {
    const clock = new ManualClock(0);
    const saga = defineSaga('timed')
      .step('a', { run: () => 1, compensate: () => {} })
      .step('b', { run: () => 2 })
      .deadline(10_000);
    const store = new InMemorySagaStore();
    const orchestrator = (on: InMemorySagaStore | CrashingSagaStore, owner: string) =>
      new SagaOrchestrator(on, [saga], { clock, leaseMs: LEASE_MS, owner });
    // Writes: 1 create, 2 a started, 3 a completed (then the crash).
    const crashing = new CrashingSagaStore(store, { atWrite: 3, mode: 'after' });
    await orchestrator(crashing, 'crashed')
      .start('timed', undefined, { sagaId: 't-1' })
      .catch(() => {});
    await clock.tickAsync(LEASE_MS);
    await orchestrator(store, 'survivor').recover();
    const resumed = kit.spans().filter((span) => span.name === 'saga timed')[1];
    expect(resumed?.events.map((event) => [event.name, event.attributes])).toEqual([
      ['deadline_exceeded', { 'error.type': 'SAGA_DEADLINE_EXCEEDED' }],
    ]);
    expect(resumed?.attributes['keel.outcome']).toBe('compensated');
  });
});
