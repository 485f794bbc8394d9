import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { observe } from './observed.js';
import type { Observed } from './observed.js';

/**
 * Moves a manual clock to each next timer until `promise` settles, yielding to real I/O (the
 * database) between timers, so retries and lease waits take no real time.
 */
async function drive<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => {});
  while (!settled && clock.now() < 600_000) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const due = clock.nextDueAt;
    if (due !== undefined) await clock.tickAsync(Math.max(0, due - clock.now()));
  }
  return promise;
}

const lines: string[] = [];
let dataDir: string;
let run: Awaited<ReturnType<typeof main>>;
let observed: Observed<typeof run>;

// One run of the whole scenario on embedded PGlite (creating it takes seconds), then assertions.
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keel-order-saga-'));
  const clock = new ManualClock(0);
  const say = (line: string) => void lines.push(line);
  observed = await drive(
    clock,
    observe(() => main(say, clock, { url: undefined, dataDir: join(dataDir, 'pglite') }), {
      say,
      metricsFile: join(dataDir, 'metrics.prom'),
    }),
  );
  run = observed.value;
});

afterAll(async () => {
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('order-saga example on embedded PGlite: orchestration', () => {
  it('runs on PGlite even when KEEL_PG_URL is set', () => {
    expect(run.backend).toBe('pglite');
    expect(lines[0]).toContain('embedded PGlite');
  });

  it('completes an order once, retrying the payment outage, and start() again returns the same outcome', () => {
    const { outcome, again, services } = run.success;
    expect(outcome.status).toBe('completed');
    expect(again).toEqual(outcome);
    expect([services.orders.applied, services.payments.applied, services.shipping.applied]).toEqual([
      1, 1, 1,
    ]);
  });

  it('compensates a declined payment in reverse order', () => {
    const { outcome, status, services } = run.failure;
    expect(outcome).toMatchObject({ status: 'compensated', error: { code: 'PAYMENT_DECLINED' } });
    expect(status?.compensatedSteps).toEqual(['reserveInventory', 'createOrder']);
    expect(services.inventory.released.has('res-1')).toBe(true);
    expect(services.orders.cancelled.has('o-2')).toBe(true);
    expect(services.shipping.applied).toBe(0);
  });

  it('recovers a saga from the reopened database after a crash without charging twice', () => {
    const { outcome, midway, services } = run.crash;
    expect(midway).toMatchObject({
      status: 'running',
      currentStep: 'processPayment',
      lease: { owner: 'worker-a' },
    });
    expect(lines).toContain(
      '  the database connection was closed and opened again: only what was stored survives',
    );
    expect(outcome.status).toBe('completed');
    expect(services.payments.applied).toBe(1);
    expect(services.shipping.applied).toBe(1);
  });
});

describe('order-saga example on embedded PGlite: choreography', () => {
  it('ships the order and ignores a redelivered event', () => {
    const { instance, services } = run.choreography.success;
    expect(instance).toMatchObject({ status: 'completed', state: { stage: 'shipped' }, outbox: [] });
    expect(services.payments.applied).toBe(1);
    expect(instance?.handled).toHaveLength(4);
  });

  it('releases the reservation and cancels the order when the card is declined', () => {
    const { instance, services } = run.choreography.failure;
    expect(instance).toMatchObject({ status: 'completed', state: { stage: 'cancelled' } });
    expect(services.inventory.released.has('res-1')).toBe(true);
    expect(services.orders.cancelled.has('o-11')).toBe(true);
  });

  it('handles events that arrive out of order', () => {
    const { instance, sent } = run.choreography.reordered;
    expect(sent).toEqual(['ReserveInventory', 'CapturePayment', 'ArrangeShipment']);
    expect(instance).toMatchObject({ status: 'completed', state: { stage: 'shipped' }, pending: [] });
  });
});

describe('order-saga example: narration', () => {
  it('narrates every scenario', () => {
    expect(lines.filter((line) => line.includes('==='))).toHaveLength(6);
    expect(lines.filter((line) => line.includes('■ saga'))).toEqual([
      '  ■ saga completed',
      '  ■ saga compensated',
      '  ■ saga completed',
    ]);
  });
});

describe('order-saga example: traces and metrics', () => {
  it('records the compensated saga as one trace: its steps, then the compensations, under the saga span', () => {
    const { spans, root } = observed.shown[1]!.trace;
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    const saga = spans.find((span) => span.name === 'saga place-order')!;
    expect(saga.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const children = spans
      .filter((span) => span.parentSpanContext?.spanId === saga.spanContext().spanId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
      .map((span) => `${span.name}${span.status.code === 2 ? ' ✗' : ''}`);
    expect(children).toEqual([
      'saga step createOrder',
      'saga step reserveInventory',
      'saga step processPayment ✗',
      'saga compensate reserveInventory',
      'saga compensate createOrder',
    ]);
  });

  it("continues the crashed saga's trace in the run worker-b recovered", () => {
    const { spans } = observed.shown[2]!.trace;
    const runs = spans.filter((span) => span.name === 'saga place-order');
    expect(runs).toHaveLength(2);
    expect(runs.map((span) => span.attributes['keel.saga.resumed'])).toEqual(
      expect.arrayContaining([true, false]),
    );
  });

  it('shows the absorbed payment outage as a retry event on the payment step', () => {
    const payment = observed.shown[0]!.trace.spans.find((span) => span.name === 'saga step processPayment');
    expect(payment?.events.map((event) => event.name)).toContain('retry');
  });

  it('writes saga and bus metrics in the Prometheus text format', async () => {
    const text = await readFile(observed.metricsFile, 'utf8');
    expect(text).toBe(observed.metrics);
    expect(text).toMatch(/^keel_saga_outcomes_total\{.*keel_outcome="compensated".*\} 1$/m);
    for (const name of ['keel_saga_compensations_total', 'keel_saga_duration', 'keel_bus_messages_total']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
