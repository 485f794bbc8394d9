import { isConcurrencyError, isValidationError, systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { InMemoryRepository, isDomainRuleViolation } from '@keel/ddd';
import { ConfirmationMailer } from './application/confirmationMailer.js';
import { OrderEventDispatcher } from './application/eventDispatcher.js';
import { Money } from './domain/money.js';
import { Order } from './domain/order.js';
import type { OrderId } from './domain/order.js';
import { bulkLineDiscount, PricingService, volumeDiscount } from './domain/pricing.js';

/** A change the domain refused, as the scenario saw it. */
export interface Rejection {
  readonly attempt: string;
  /** The rule name of a DomainRuleViolation, or the error code otherwise. */
  readonly reason: string;
  readonly message: string;
}

/** Options of {@link createShop}. */
export interface ShopOptions {
  /** Where narration goes. @default console.log */
  print?: (line: string) => void;
  /** Stamps event metadata. @default systemClock */
  clock?: Clock;
}

/**
 * The wiring of the example, as a service would do it at start-up: repository → publisher →
 * domain-event handlers, plus the pricing service.
 */
export function createShop(options: ShopOptions = {}) {
  const print = options.print ?? ((line: string) => console.log(line));
  const clock = options.clock ?? systemClock;
  const dispatcher = new OrderEventDispatcher();
  const mailer = new ConfirmationMailer();
  mailer.subscribe(dispatcher);
  const published: string[] = [];
  dispatcher.on('OrderPlaced', (event) => void published.push(event.type));
  dispatcher.on('OrderConfirmed', (event) => void published.push(event.type));
  const orders = new InMemoryRepository((id: OrderId) => new Order(id, { clock }), { publisher: dispatcher });
  const pricing = new PricingService([volumeDiscount(Money.of(1000, 'EUR'), 5), bulkLineDiscount(10, 10)]);
  const rejections: Rejection[] = [];
  const attempt = (label: string, change: () => unknown) => tryChange(label, change, print, rejections);
  return { orders, pricing, mailer, published, rejections, print, attempt };
}

/** What {@link createShop} returns. */
export type Shop = ReturnType<typeof createShop>;

/** Runs `change`; when the domain refuses it, narrates and records why instead of throwing. */
async function tryChange(
  label: string,
  change: () => unknown,
  print: (line: string) => void,
  rejections: Rejection[],
): Promise<void> {
  try {
    await change();
    print(`   ✓ ${label}`);
  } catch (error) {
    const reason = isDomainRuleViolation(error)
      ? error.rule
      : isValidationError(error) || isConcurrencyError(error)
        ? error.code
        : undefined;
    if (reason === undefined) throw error;
    rejections.push({ attempt: label, reason, message: (error as Error).message });
    print(`   ✗ ${label}: refused [${reason}] ${(error as Error).message}`);
  }
}
