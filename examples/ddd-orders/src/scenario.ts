import type { Email } from './application/confirmationMailer.js';
import { Address } from './domain/address.js';
import { Money } from './domain/money.js';
import { Order } from './domain/order.js';
import type { OrderId } from './domain/order.js';
import { highValueConfirmed, shipsTo } from './domain/specifications.js';
import { createShop } from './shop.js';
import type { Rejection, Shop, ShopOptions } from './shop.js';

export type { Rejection } from './shop.js';

/** What the scenario did, for the smoke test and for anyone embedding it. */
export interface ScenarioResult {
  readonly rejections: readonly Rejection[];
  readonly emails: readonly Email[];
  readonly highValueOrders: readonly string[];
  readonly specification: string;
  readonly finalTotals: Readonly<Record<string, string>>;
  readonly publishedEventTypes: readonly string[];
}

/** Options of {@link runScenario}. */
export type ScenarioOptions = ShopOptions;

const ANN = 'A-1001' as OrderId; // real code: newId() as OrderId
const BOB = 'B-2002' as OrderId;
const CARLA = 'C-3003' as OrderId;

const address = (recipient: string, city: string, country: string) =>
  new Address({ recipient, street: '1 Canal Street', postalCode: '1011 AB', city, country });

/**
 * The order-fulfilment story: two customers order, the domain refuses what it must, pricing
 * applies discounts, two clerks race on one order, and fulfilment queries high-value orders.
 */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const shop = createShop(options);
  await annOrders(shop);
  await annConfirms(shop);
  await bobOrders(shop);
  await clerksRace(shop);
  const { found, spec } = await fulfilmentQuery(shop);
  const finalTotals: Record<string, string> = {};
  for (const id of [ANN, BOB, CARLA]) finalTotals[id] = (await shop.orders.get(id)).subtotal.format();
  shop.print(
    `7. Done: ${shop.mailer.sent.length} confirmation mails, ${shop.rejections.length} changes refused`,
  );
  return {
    rejections: shop.rejections,
    emails: shop.mailer.sent,
    highValueOrders: found,
    specification: spec,
    finalTotals,
    publishedEventTypes: shop.published,
  };
}

async function annOrders({ orders, print, attempt }: Shop): Promise<void> {
  print('1. Ann places order A-1001 (EUR) and adds items');
  const ann = Order.place(ANN, 'ann', 'EUR', address('Ann Smit', 'Amsterdam', 'NL'));
  ann.addItem('KEYBOARD-01', 2, Money.of(89, 'EUR'));
  ann.addItem('MONITOR-27', 1, Money.of(1249, 'EUR'));
  print(`   ${ann.lines.size} lines, subtotal ${ann.subtotal.format()}, version ${ann.version}`);

  print('2. The domain refuses what breaks its rules');
  await attempt('add an item priced in USD', () => ann.addItem('MOUSE-02', 1, Money.of(25, 'USD')));
  await attempt('create a negative amount', () => Money.of(-5, 'EUR'));
  await attempt('ship to an incomplete address', () =>
    ann.changeShippingAddress(
      new Address({ recipient: '', street: 'Oudegracht 1', postalCode: '?', city: 'Utrecht', country: 'nl' }),
    ),
  );
  await orders.save(ann);
  print(`   saved A-1001 at version ${ann.version}`);
}

async function annConfirms({ orders, pricing, mailer, print, attempt }: Shop): Promise<void> {
  print('3. Pricing (a domain service) quotes, and the order is confirmed');
  const order = await orders.get(ANN);
  const quote = pricing.quote(order);
  const discounts = quote.applied.join(', ');
  print(
    `   subtotal ${quote.subtotal.format()} − ${quote.discount.format()} (${discounts}) = ${quote.total.format()}`,
  );
  order.confirm(quote);
  await orders.save(order);
  print(`   confirmed; the mailer reacted: "${mailer.sent.at(-1)?.subject ?? 'no mail'}"`);
  await attempt('add an item to the confirmed order', () =>
    order.addItem('CABLE-HDMI', 1, Money.of(9, 'EUR')),
  );
}

async function bobOrders({ orders, pricing, print, attempt }: Shop): Promise<void> {
  print('4. Bob places an order and tries to confirm it empty');
  const bob = Order.place(BOB, 'bob', 'EUR', address('Bob de Vries', 'Antwerpen', 'BE'));
  await attempt('confirm an empty order', () => bob.confirm(pricing.quote(bob)));
  bob.addItem('STICKER-PK', 12, Money.of(2.5, 'EUR'));
  bob.confirm(pricing.quote(bob));
  await orders.save(bob);
  print(`   confirmed B-2002 for ${bob.total?.format() ?? '?'} (${bob.discounts.join(', ')})`);
}

async function clerksRace({ orders, print, attempt }: Shop): Promise<void> {
  print('5. Two clerks edit order C-3003 at once: optimistic concurrency keeps one');
  const carla = Order.place(CARLA, 'carla', 'EUR', address('Carla Peeters', 'Gent', 'BE'));
  carla.addItem('LAMP-DESK', 1, Money.of(45, 'EUR'));
  await orders.save(carla);
  const [clerk1, clerk2] = await Promise.all([orders.get(CARLA), orders.get(CARLA)]);
  clerk1.addItem('BULB-LED', 4, Money.of(6, 'EUR'));
  clerk2.removeItem('LAMP-DESK');
  await orders.save(clerk1);
  print(`   clerk 1 saved: version ${clerk1.version}`);
  await attempt('clerk 2 saves a stale copy', () => orders.save(clerk2));
}

async function fulfilmentQuery({ orders, print }: Shop): Promise<{ found: string[]; spec: string }> {
  print('6. Fulfilment asks for high-value confirmed orders');
  const urgent = highValueConfirmed(Money.of(500, 'EUR')).and(shipsTo('NL', 'BE'));
  const found = await orders.query(urgent);
  print(`   ${urgent.toString()}`);
  print(`   → ${found.map((o) => `${o.id} (${o.total?.format() ?? '?'})`).join(', ') || 'none'}`);
  return { found: found.map((o) => o.id), spec: urgent.toString() };
}
