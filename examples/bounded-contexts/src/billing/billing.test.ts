import { InProcessEventTransport } from '@keel/cqrs';
import { collect, InMemoryEventStore } from '@keel/eventsourcing';
import type { EventStore } from '@keel/eventsourcing';
import { describe, expect, it } from 'vitest';
import { createBilling, REFUSALS_STREAM } from './billing.js';
import { orderPlacedV2, salesMessage } from './fixtures.js';

function setup() {
  const events = new InMemoryEventStore();
  const billing = createBilling({ events });
  /** Everything Billing stored except its refusal log: its model. */
  const model = async () =>
    (await collect(events.readAll())).filter((event) => event.streamName !== REFUSALS_STREAM);
  return { events, billing, model };
}

const placed = (overrides: Record<string, unknown> = {}) =>
  salesMessage('sales.OrderPlaced.v2', orderPlacedV2(overrides));

const REFUSED_MESSAGES = {
  'unknown-version': () => salesMessage('sales.OrderPlaced.v3', orderPlacedV2({ orderId: 'S-1' })),
  'invalid-payload': () => placed({ orderId: 'S-1', customer: undefined }),
  'unsupported-currency': () => placed({ orderId: 'S-2', currency: 'USD' }),
  'inconsistent-amount': () => placed({ orderId: 'S-1', totalMinor: 7 }),
  'invoice.exists': () =>
    salesMessage('sales.OrderCancelled.v1', {
      orderId: 'S-9',
      reason: 'x',
      cancelledAt: '2026-02-01T00:00:00Z',
    }),
};

describe('Billing', () => {
  it('issues an invoice for an order Sales placed', async () => {
    const { billing } = setup();
    const outcome = await billing.receive(placed());
    expect(outcome).toMatchObject({ outcome: 'applied', changed: true });
    expect(await billing.invoice('S-1')).toMatchObject({ status: 'open', amountDue: { minor: 142_700 } });
  });

  it.each(Object.entries(REFUSED_MESSAGES))(
    'refuses [%s], records it and changes nothing in its model',
    async (reason, message) => {
      const { billing, model } = setup();
      await billing.receive(placed());
      const before = await model();

      const refused = message();
      const outcome = await billing.receive(refused);

      expect(outcome.outcome).toBe('refused');
      expect(await model()).toEqual(before);
      expect(await billing.refusals()).toEqual([
        expect.objectContaining({ messageId: refused.metadata.messageId, messageType: refused.type, reason }),
      ]);
    },
  );

  it('records a redelivered refusal once', async () => {
    const { billing } = setup();
    const refused = REFUSED_MESSAGES['unsupported-currency']();
    await billing.receive(refused);
    await billing.receive(refused);
    expect(await billing.refusals()).toHaveLength(1);
  });

  it('issues one invoice when the same OrderPlaced arrives twice', async () => {
    const { billing, model } = setup();
    const message = placed();
    await billing.receive(message);
    expect(await billing.receive(message)).toMatchObject({ outcome: 'applied', changed: false });
    expect(await model()).toHaveLength(1);
  });

  it('issues one invoice when two copies of an OrderPlaced arrive at once', async () => {
    const { billing, model } = setup();
    const message = placed();
    const outcomes = await Promise.all([billing.receive(message), billing.receive(message)]);
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['applied', 'applied']);
    expect(await model()).toHaveLength(1);
  });

  it('voids the invoice of a cancelled order', async () => {
    const { billing } = setup();
    await billing.receive(placed());
    const cancelled = { orderId: 'S-1', reason: 'out of stock', cancelledAt: '2026-02-01T00:00:00Z' };
    await billing.receive(salesMessage('sales.OrderCancelled.v1', cancelled));
    expect(await billing.invoice('S-1')).toMatchObject({
      status: 'void',
      reason: 'order cancelled: out of stock',
    });
  });

  it('ignores what it does not consume without recording a refusal', async () => {
    const { billing, events } = setup();
    expect(await billing.receive(salesMessage('sales.CartAbandoned.v1', {}))).toMatchObject({
      outcome: 'ignored',
    });
    expect(await collect(events.readAll())).toEqual([]);
  });

  it('throws a store failure instead of recording it, so the transport can redeliver', async () => {
    const store = new InMemoryEventStore();
    const broken = new Proxy(store, {
      get: (target, key) =>
        key === 'appendToStream'
          ? () => Promise.reject(new Error('disk full'))
          : (Reflect.get(target, key) as (...args: unknown[]) => unknown).bind(target),
    }) as EventStore;
    const billing = createBilling({ events: broken });
    await expect(billing.receive(placed())).rejects.toThrow('disk full');
    await expect(billing.receive(REFUSED_MESSAGES['unknown-version']())).rejects.toThrow('disk full');
  });

  it('receives what a transport delivers and reports each outcome', async () => {
    const events = new InMemoryEventStore();
    const heard: string[] = [];
    const billing = createBilling({
      events,
      onOutcome: (message, outcome) => heard.push(`${message.type}:${outcome.outcome}`),
    });
    const transport = new InProcessEventTransport();
    const subscription = await billing.subscribeTo(transport);
    await transport.publish([placed(), placed({ orderId: 'S-2', currency: 'USD' })]);
    await subscription.close();
    await transport.publish([placed({ orderId: 'S-3' })]);
    expect(heard).toEqual(['sales.OrderPlaced.v2:applied', 'sales.OrderPlaced.v2:refused']);
    expect((await billing.invoices()).map((invoice) => invoice.status)).toEqual(['open']);
  });
});
