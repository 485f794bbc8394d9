import { ManualClock } from '@keel/core';
import { InProcessEventTransport } from '@keel/cqrs';
import { isDomainRuleViolation } from '@keel/ddd';
import { collect, InMemoryCheckpointStore, InMemoryEventStore } from '@keel/eventsourcing';
import { describe, expect, it } from 'vitest';
import { SALES_EVENTS } from '../contracts/salesEvents.js';
import type { SalesIntegrationEvent } from '../contracts/salesEvents.js';
import { createSales } from './sales.js';

async function setup() {
  const events = new InMemoryEventStore();
  const published: SalesIntegrationEvent[] = [];
  const sales = createSales({
    events,
    checkpoints: new InMemoryCheckpointStore(),
    transport: new InProcessEventTransport(),
    clock: new ManualClock(Date.UTC(2026, 1, 3, 12)),
    onPublished: (event) => published.push(event),
  });
  await sales.registerCustomer('C-1', {
    name: 'Brick & Co',
    email: 'ap@brick.example',
    segment: 'wholesale',
  });
  return { events, sales, published };
}

const LINES = [{ sku: 'CABLE-HDMI', quantity: 40, unitPriceCents: 450 }];

describe('Sales', () => {
  it('publishes a placed order as sales.OrderPlaced.v2, enriched with the customer and valid by its schema', async () => {
    const { sales, published } = await setup();
    await sales.placeOrder('S-1', 'C-1', 'GBP', LINES);
    expect(await sales.publish()).toBe(1);
    const [event] = published;
    expect(event?.type).toBe('sales.OrderPlaced.v2');
    expect(SALES_EVENTS['sales.OrderPlaced.v2'].parse(event?.data)).toEqual({
      orderId: 'S-1',
      customer: { id: 'C-1', name: 'Brick & Co', email: 'ap@brick.example', segment: 'wholesale' },
      lines: [{ sku: 'CABLE-HDMI', quantity: 40, unitPriceMinor: 450 }],
      totalMinor: 18_000,
      currency: 'GBP',
      placedAt: '2026-02-03T12:00:00.000Z',
    });
  });

  it('uses the stored event id as the message id, so a redelivery carries the same id', async () => {
    const { sales, events, published } = await setup();
    await sales.placeOrder('S-1', 'C-1', 'GBP', LINES);
    await sales.publish();
    const [stored] = await collect(events.readStream('Order-S-1'));
    expect(published[0]?.metadata.messageId).toBe(stored?.eventId);
  });

  it('publishes each stored event once across runs of the open host', async () => {
    const { sales, published } = await setup();
    await sales.placeOrder('S-1', 'C-1', 'EUR', LINES);
    await sales.publish();
    await sales.cancelOrder('S-1', 'duplicate order');
    expect(await sales.publish()).toBe(1);
    expect(await sales.publish()).toBe(0);
    expect(published.map((event) => event.type)).toEqual(['sales.OrderPlaced.v2', 'sales.OrderCancelled.v1']);
  });

  it('never publishes its internal events or customers as they are', async () => {
    const { sales, published } = await setup();
    await sales.placeOrder('S-1', 'C-1', 'EUR', LINES);
    await sales.publish();
    expect(published.every((event) => event.type in SALES_EVENTS)).toBe(true);
  });

  it('refuses an order without lines', async () => {
    const { sales } = await setup();
    await expect(sales.placeOrder('S-1', 'C-1', 'EUR', [])).rejects.toSatisfy((error) =>
      isDomainRuleViolation(error, 'order.not-empty'),
    );
  });

  it('refuses to cancel an order twice', async () => {
    const { sales } = await setup();
    await sales.placeOrder('S-1', 'C-1', 'EUR', LINES);
    await sales.cancelOrder('S-1', 'first');
    await expect(sales.cancelOrder('S-1', 'second')).rejects.toSatisfy((error) =>
      isDomainRuleViolation(error, 'order.cancel-placed'),
    );
  });
});
