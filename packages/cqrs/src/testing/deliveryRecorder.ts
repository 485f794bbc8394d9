import type { Message } from '@keel/core';
import type { TransportDelivery, TransportHandler } from '../transport/eventTransport.js';
import { eventually } from './eventually.js';

/** Records every event a subscription is handed, with its delivery, in arrival order. */
export class DeliveryRecorder {
  /** Every delivery, redeliveries included. */
  readonly received: { readonly event: Message; readonly delivery: TransportDelivery }[] = [];
  /** The handler to subscribe with; `react` runs after recording and may throw or wait. */
  readonly handler: TransportHandler;

  constructor(react?: (event: Message, delivery: TransportDelivery) => Promise<void> | void) {
    this.handler = async (event, delivery) => {
      this.received.push({ event, delivery });
      await react?.(event, delivery);
    };
  }

  /** The message ids received, in order, redeliveries included. */
  ids(): string[] {
    return this.received.map(({ event }) => event.metadata.messageId);
  }

  /** How many times the event with `messageId` was handed over. */
  count(messageId: string): number {
    return this.ids().filter((id) => id === messageId).length;
  }

  /** Waits until every one of `events` was received at least once. */
  async receivedAll(events: readonly Message[]): Promise<void> {
    const wanted = events.map((event) => event.metadata.messageId);
    await eventually(`${wanted.length} event(s) to arrive`, () => {
      const seen = new Set(this.ids());
      return wanted.every((id) => seen.has(id));
    });
  }
}
