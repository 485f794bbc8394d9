import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { choreographedPaymentFailure, choreographedSuccess, outOfOrderEvents } from './choreographed.js';
import { main } from './main.js';
import { crashAndRecover, paymentFailure, successfulOrder } from './orchestrated.js';

const quiet = () => {};

/** Moves a manual clock forward until `promise` settles, so retries and lease waits take no real time. */
async function drive<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let settled = false;
  void promise.finally(() => (settled = true)).catch(() => {});
  for (let step = 0; step < 200 && !settled; step++) await clock.tickAsync(50);
  return promise;
}

describe('order-saga example: orchestration', () => {
  it('completes an order once, retrying the payment outage, and start() again returns the same outcome', async () => {
    const clock = new ManualClock(0);
    const { outcome, again, services } = await drive(clock, successfulOrder(quiet, clock));
    expect(outcome.status).toBe('completed');
    expect(again).toEqual(outcome);
    expect([services.orders.applied, services.payments.applied, services.shipping.applied]).toEqual([
      1, 1, 1,
    ]);
  });

  it('compensates a declined payment in reverse order', async () => {
    const clock = new ManualClock(0);
    const { outcome, status, services } = await drive(clock, paymentFailure(quiet, clock));
    expect(outcome).toMatchObject({ status: 'compensated', error: { code: 'PAYMENT_DECLINED' } });
    expect(status?.compensatedSteps).toEqual(['reserveInventory', 'createOrder']);
    expect(services.inventory.released.has('res-1')).toBe(true);
    expect(services.orders.cancelled.has('o-2')).toBe(true);
    expect(services.shipping.applied).toBe(0);
  });

  it('recovers a saga after a crash without charging twice', async () => {
    const clock = new ManualClock(0);
    const { outcome, midway, services } = await drive(clock, crashAndRecover(quiet, clock));
    expect(midway).toMatchObject({
      status: 'running',
      currentStep: 'processPayment',
      lease: { owner: 'worker-a' },
    });
    expect(outcome.status).toBe('completed');
    expect(services.payments.applied).toBe(1);
    expect(services.shipping.applied).toBe(1);
  });
});

describe('order-saga example: choreography', () => {
  it('ships the order and ignores a redelivered event', async () => {
    const { instance, services } = await choreographedSuccess(quiet);
    expect(instance).toMatchObject({ status: 'completed', state: { stage: 'shipped' }, outbox: [] });
    expect(services.payments.applied).toBe(1);
    expect(instance?.handled).toHaveLength(4);
  });

  it('releases the reservation and cancels the order when the card is declined', async () => {
    const { instance, services } = await choreographedPaymentFailure(quiet);
    expect(instance).toMatchObject({ status: 'completed', state: { stage: 'cancelled' } });
    expect(services.inventory.released.has('res-1')).toBe(true);
    expect(services.orders.cancelled.has('o-11')).toBe(true);
  });

  it('handles events that arrive out of order', async () => {
    const { instance, sent } = await outOfOrderEvents(quiet);
    expect(sent).toEqual(['ReserveInventory', 'CapturePayment', 'ArrangeShipment']);
    expect(instance).toMatchObject({ status: 'completed', state: { stage: 'shipped' }, pending: [] });
  });
});

describe('order-saga example: main', () => {
  it('narrates every scenario', async () => {
    const lines: string[] = [];
    const clock = new ManualClock(0);
    await drive(
      clock,
      main((line) => lines.push(line), clock),
    );
    const headings = lines.filter((line) => line.includes('==='));
    expect(headings).toHaveLength(6);
    expect(lines.filter((line) => line.includes('■ saga'))).toEqual([
      '  ■ saga completed',
      '  ■ saga compensated',
      '  ■ saga completed',
    ]);
  });
});
