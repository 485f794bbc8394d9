import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

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

// One run of the whole scenario on embedded PGlite (creating it takes seconds), then assertions.
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keel-order-saga-'));
  const clock = new ManualClock(0);
  run = await drive(
    clock,
    main((line) => lines.push(line), clock, { url: undefined, dataDir: join(dataDir, 'pglite') }),
  );
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
