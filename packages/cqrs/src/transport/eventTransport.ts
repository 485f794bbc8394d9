import type { Message, PublishOptions } from '@keel/core';

/** What a transport hands to a subscriber with each event. */
export interface TransportDelivery {
  /** Aborted when the subscription closes or the publisher stops waiting. */
  readonly signal: AbortSignal;
}

/**
 * Receives one event from a transport. Resolving acknowledges it; rejecting reports the failure
 * (an in-process transport rethrows to the publisher, a broker may redeliver).
 */
export type TransportHandler = (event: Message, delivery: TransportDelivery) => Promise<void>;

/** A live subscription to a transport. */
export interface TransportSubscription {
  /** Stops delivery to this subscriber. */
  close(): Promise<void>;
}

/** Options of {@link EventTransport.subscribe}. */
export interface TransportSubscribeOptions {
  /** Stops waiting for the subscription to be set up. */
  signal?: AbortSignal | undefined;
}

/**
 * Carries events between publishers and event buses: in process by default
 * ({@link InProcessEventTransport}), over a broker such as NATS JetStream in `@keel/nats`.
 *
 * What every transport promises (`eventTransportContract` in `@keel/cqrs/testing` checks it):
 * events of one publish arrive in order, as JSON-equal frozen copies with `metadata.headers`
 * unchanged (with telemetry installed the event bus writes its publish span's W3C
 * `traceparent`/`tracestate` there, and the consuming bus continues that trace from them);
 * values JSON would lose are refused at publish; nothing is delivered after `close`.
 *
 * Where transports differ, by design, and handlers must not rely on either behaviour:
 * - Several subscriptions: the in-process transport hands every event to each of them
 *   (fan-out). A broker decides by consumer: NATS subscriptions under one durable consumer name
 *   share the events (each goes to one of them, competing consumers), under different names
 *   each gets them all.
 * - The same message id published twice: the in-process transport delivers both. A broker may
 *   drop the second inside its duplicate window (NATS JetStream keeps the first, for two
 *   minutes by default), and may redeliver an event whose handler failed or timed out.
 *
 * So a handler is idempotent on `metadata.messageId` (the idempotency middleware does that)
 * and a service that needs every copy of an event in several places subscribes once per place.
 */
export interface EventTransport {
  /** Sends `events` in order; resolves when the transport accepted (or delivered) them. */
  publish(events: readonly Message[], options?: PublishOptions): Promise<void>;
  /** Delivers every published event to `handler` until the subscription is closed. */
  subscribe(handler: TransportHandler, options?: TransportSubscribeOptions): Promise<TransportSubscription>;
  /** Releases the transport's resources. */
  close(): Promise<void>;
}
