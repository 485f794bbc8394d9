import { createLogger, createMessage, systemClock } from '@keel/core';
import type { Message } from '@keel/core';
import { InProcessEventTransport } from '@keel/cqrs';
import { createBilling, REFUSALS_STREAM } from './billing/billing.js';
import type { Refusal } from './billing/billing.js';
import type { InvoiceState } from './billing/invoice.js';
import type { SalesIntegrationEvent } from './contracts/salesEvents.js';
import { createInfrastructure } from './infrastructure.js';
import type { InfrastructureOptions } from './infrastructure.js';
import { describeOutcome } from './narration.js';
import { createSales } from './sales/sales.js';
import type { SalesContext } from './sales/sales.js';

/** Options of {@link runScenario}. */
export interface ScenarioOptions extends InfrastructureOptions {
  /** Where the story goes. @default console.log */
  print?: ((line: string) => void) | undefined;
}

/** What happened, for the smoke test. */
export interface ScenarioResult {
  /** The integration event types Sales' open host published, in order. */
  readonly published: readonly string[];
  /** `type → outcome [reason]` for every message Billing received, in order. */
  readonly outcomes: readonly string[];
  readonly invoices: readonly InvoiceState[];
  readonly refusals: readonly Refusal[];
}

/**
 * The story: Sales takes orders in its own model and publishes them in its published
 * language; Billing's anti-corruption layer turns them into invoices, and refuses, records and
 * ignores what it cannot translate, whoever sent it.
 */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const print = options.print ?? console.log;
  const clock = options.clock ?? systemClock;
  const progress = createLogger((entry) => print(`   · ${entry.message}`), { level: 'info' });
  const infrastructure = await createInfrastructure({ logger: progress, ...options });
  const transport = new InProcessEventTransport(); // between services: NatsEventTransport (@keel/nats)
  const published: SalesIntegrationEvent[] = [];
  const outcomes: string[] = [];
  const sales = createSales({
    ...infrastructure.sales,
    transport,
    clock,
    onPublished: (e) => published.push(e),
  });
  const billing = createBilling({
    events: infrastructure.billing.events,
    onOutcome: (message, outcome) => {
      const reason = outcome.outcome === 'refused' ? ` [${reasonOf(outcome.error)}]` : '';
      outcomes.push(`${message.type} → ${outcome.outcome}${reason}`);
      print(describeOutcome(message, outcome));
    },
  });
  const subscription = await billing.subscribeTo(transport);
  try {
    print(`Stores: ${infrastructure.description}`);
    await tell({ sales, transport, published, print, now: clock.now() });
    const [invoices, refusals] = [await billing.invoices(), await billing.refusals()];
    const open = invoices.filter((invoice) => invoice.status === 'open').length;
    print(
      `6. Billing holds ${invoices.length} invoices (${open} open); ${refusals.length} refusals in "${REFUSALS_STREAM}", none applied.`,
    );
    print('   The published language as JSON Schema: contracts/sales-events.schema.json');
    return { published: published.map((event) => event.type), outcomes, invoices, refusals };
  } finally {
    await subscription.close();
    await transport.close();
    await infrastructure.close();
  }
}

interface Cast {
  readonly sales: SalesContext;
  readonly transport: InProcessEventTransport;
  readonly published: readonly SalesIntegrationEvent[];
  readonly print: (line: string) => void;
  readonly now: number;
}

async function tell({ sales, transport, published, print, now }: Cast): Promise<void> {
  await takeOrders(sales, print);
  print(`2. Sales' open host publishes its log in the published language`);
  await sales.publish();
  print('3. Other publishers: an old Sales node (v1), a canary (v3), two buggy ones');
  await transport.publish(strangers(now));
  print('4. Sales cancels S-1002 and S-1003; the open host sends only what is new');
  await sales.cancelOrder('S-1002', 'customer changed their mind');
  await sales.cancelOrder('S-1003', 'out of stock');
  await sales.publish();
  print(`5. A broker delivers at least once: S-1001's OrderPlaced arrives again`);
  await transport.publish(published.slice(0, 1));
}

async function takeOrders(sales: SalesContext, print: (line: string) => void): Promise<void> {
  print('1. Sales registers two customers and takes three orders, in its own model and store');
  await sales.registerCustomer('C-1', { name: 'Ann Smit', email: 'ann@example.com', segment: 'retail' });
  await sales.registerCustomer('C-2', {
    name: 'Brick & Co',
    email: 'ap@brick.example',
    segment: 'wholesale',
  });
  const orders = [
    await sales.placeOrder('S-1001', 'C-1', 'EUR', [
      { sku: 'KEYBOARD-01', quantity: 2, unitPriceCents: 8_900 },
      { sku: 'MONITOR-27', quantity: 1, unitPriceCents: 124_900 },
    ]),
    await sales.placeOrder('S-1002', 'C-2', 'GBP', [
      { sku: 'CABLE-HDMI', quantity: 40, unitPriceCents: 450 },
    ]),
    await sales.placeOrder('S-1003', 'C-1', 'USD', [{ sku: 'MOUSE-02', quantity: 1, unitPriceCents: 2_500 }]),
  ];
  print(
    `   ${orders.map((order) => `${order.id} ${order.currency} ${(order.totalCents / 100).toFixed(2)}`).join(', ')}`,
  );
}

/** Messages from publishers other than this Sales build: one good, three that Billing must refuse. */
function strangers(now: number): Message[] {
  const placedAt = new Date(now).toISOString();
  const customer = { id: 'C-9', name: 'Dora Vos', email: 'dora@example.com', segment: 'retail' };
  const line = { sku: 'LAMP-DESK', quantity: 1, unitPriceMinor: 4_500 };
  const v2 = { orderId: 'S-1005', customer, lines: [line], totalMinor: 4_500, currency: 'EUR', placedAt };
  return [
    createMessage('sales.OrderPlaced.v1', {
      ...{ orderId: 'S-0999', customerId: 'C-7', customerName: 'Old Mill Ltd' },
      ...{ total: '99.50', currency: 'EUR', placedAt },
    }),
    createMessage('sales.OrderPlaced.v3', { ...v2, orderId: 'S-1004', loyaltyPoints: 45 }),
    createMessage('sales.OrderPlaced.v2', { ...v2, customer: { ...customer, email: undefined } }),
    createMessage('sales.OrderPlaced.v2', { ...v2, orderId: 'S-1006', totalMinor: 450 }),
    createMessage('sales.CartAbandoned.v1', { cartId: 'K-77' }),
  ];
}

function reasonOf(error: { reason?: unknown; rule?: unknown }): string {
  return String(error.reason ?? error.rule);
}
