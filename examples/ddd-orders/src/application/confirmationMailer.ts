import { Money } from '../domain/money.js';
import type { OrderEvent } from '../domain/orderEvents.js';
import type { OrderEventDispatcher } from './eventDispatcher.js';

/** An e-mail the shop would send; collected in memory here. */
export interface Email {
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

/**
 * A domain-event handler: when an order is confirmed, e-mail the customer. It reacts to the
 * event after the save succeeded, so a rejected or conflicting save never sends mail.
 */
export class ConfirmationMailer {
  readonly sent: Email[] = [];

  /** Subscribes to `OrderConfirmed` on `dispatcher`; returns the unsubscribe function. */
  subscribe(dispatcher: OrderEventDispatcher): () => void {
    return dispatcher.on('OrderConfirmed', (event) => this.#onConfirmed(event));
  }

  #onConfirmed(event: Extract<OrderEvent, { type: 'OrderConfirmed' }>): void {
    const total = new Money(event.data.total);
    const discount = new Money(event.data.discount);
    this.sent.push({
      to: `${event.data.customerId}@example.com`,
      subject: `Your order ${event.aggregateId} is confirmed`,
      body: `Total ${total.format()} (you saved ${discount.format()}).`,
    });
  }
}
