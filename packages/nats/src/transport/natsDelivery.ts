import type { Message } from '@keel/core';
import type { TransportDelivery, TransportSubscribeOptions } from '@keel/cqrs';

/** What the NATS transport hands to a subscriber with each event. */
export interface NatsDelivery extends TransportDelivery {
  /** Aborted when the subscription or the transport closes; the event is then redelivered. */
  readonly signal: AbortSignal;
  /** The subject the event was published on. */
  readonly subject: string;
  /** The stream that stored it. */
  readonly stream: string;
  /** Its sequence in the stream. */
  readonly streamSequence: number;
  /** How many times it has been delivered, this time included (1 on the first delivery). */
  readonly deliveryCount: number;
  /** The durable consumer it was delivered through. */
  readonly consumer: string;
}

/**
 * Handles one event from the NATS transport. Resolving acknowledges it; rejecting schedules a
 * redelivery after the backoff delay, or dead-letters it on the last allowed delivery.
 */
export type NatsHandler = (event: Message, delivery: NatsDelivery) => Promise<void>;

/** Options of {@link NatsEventTransport.subscribe}. */
export interface NatsSubscribeOptions extends TransportSubscribeOptions {
  /** Stops waiting for the consumer to be set up. */
  signal?: AbortSignal;
  /** Reads with this durable consumer instead of the transport's `durableName`. @default options.durableName */
  durableName?: string;
}
