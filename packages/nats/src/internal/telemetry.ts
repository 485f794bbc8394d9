import {
  defineMetric,
  recordMetric,
  telemetryEnabled,
  traceHeaders,
  TRACEPARENT,
  TRACESTATE,
  withSpan,
  errorTypeOf,
  DURATION_BUCKETS,
} from '@keel/core';
import type { Attributes, Clock, Message, TelemetrySpan, TraceCarrier } from '@keel/core';
import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';

// Every span and metric @keel/nats reports, through @keel/core's telemetry points.
//
// Spans
// - `publish <subject>` (producer): one per event the transport stores; its context goes out in
//   the `traceparent` / `tracestate` NATS headers.
// - `process <subject>` (consumer): one per delivered message, continuing the trace of those
//   headers (else of the event's `metadata.headers`); events `redelivery` and `dead_letter`.

/** Events the transport handed to JetStream (with `error.type` when it refused them). */
export const SENT_MESSAGES = defineMetric({
  name: 'messaging.client.sent.messages',
  kind: 'counter',
  unit: '{message}',
  description: 'Events published to NATS JetStream.',
});

/** How long each JetStream publish took, until the server stored the event. */
export const OPERATION_DURATION = defineMetric({
  name: 'messaging.client.operation.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of NATS JetStream publishes.',
  buckets: DURATION_BUCKETS,
});

/** Deliveries a subscription handled (with `error.type` when handling failed). */
export const CONSUMED_MESSAGES = defineMetric({
  name: 'messaging.client.consumed.messages',
  kind: 'counter',
  unit: '{message}',
  description: 'Events delivered by NATS JetStream and handled.',
});

/** How long handling one delivery took (decode, handler, ack / nak / dead letter). */
export const PROCESS_DURATION = defineMetric({
  name: 'messaging.process.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of handling one NATS delivery.',
  buckets: DURATION_BUCKETS,
});

/** Failed deliveries handed back for a later redelivery. */
export const REDELIVERIES = defineMetric({
  name: 'keel.nats.redeliveries',
  kind: 'counter',
  unit: '{message}',
  description: 'Failed NATS deliveries scheduled for redelivery.',
});

/** Events given up on: published to the dead-letter subject, or terminated. */
export const DEAD_LETTERS = defineMetric({
  name: 'keel.nats.dead_letters',
  kind: 'counter',
  unit: '{message}',
  description: 'NATS events dead-lettered after their last delivery, or undecodable.',
});

/** `error.type` of a failure (core's {@link errorTypeOf}). */
export const errorType = errorTypeOf;

function carrierOf(headers: TraceCarrier | undefined): TraceCarrier | undefined {
  return typeof headers?.[TRACEPARENT] === 'string' ? headers : undefined;
}

/** Writes the trace context to carry (the active span's, else the event's own) into `headers`. */
function writeTraceHeaders(headers: MsgHdrs, event: Message): void {
  const context = traceHeaders(event.metadata.headers);
  if (context[TRACEPARENT] !== undefined) headers.set(TRACEPARENT, context[TRACEPARENT]);
  if (context[TRACESTATE] !== undefined) headers.set(TRACESTATE, context[TRACESTATE]);
}

/** One outgoing event, encoded. */
export interface OutgoingEvent {
  readonly event: Message;
  readonly subject: string;
  readonly headers: MsgHdrs;
}

/**
 * Publishes one event in a `publish <subject>` producer span (a child of the active span, else
 * of the event's own `traceparent`), whose context goes out in the NATS headers. Without telemetry it only copies the event's own `traceparent` to the headers.
 */
export function tracedPublish(
  outgoing: OutgoingEvent,
  clock: Clock,
  run: () => Promise<void>,
): Promise<void> {
  const { event, subject, headers } = outgoing;
  if (!telemetryEnabled()) {
    writeTraceHeaders(headers, event);
    return run();
  }
  const metricAttributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': subject,
    'messaging.operation.name': 'publish',
  };
  const attributes: Attributes = {
    ...metricAttributes,
    'messaging.operation.type': 'send',
    'messaging.message.id': event.metadata.messageId,
    'messaging.message.conversation_id': event.metadata.correlationId,
    'keel.message.type': event.type,
  };
  // With no span active, the span continues the trace the event was created in.
  const parent = carrierOf(event.metadata.headers);
  return withSpan(`publish ${subject}`, { kind: 'producer', attributes, parent }, async () => {
    writeTraceHeaders(headers, event);
    const started = clock.now();
    let failure: { error: unknown } | undefined;
    try {
      await run();
    } catch (error) {
      failure = { error };
      throw error;
    } finally {
      const measured =
        failure === undefined
          ? metricAttributes
          : { ...metricAttributes, 'error.type': errorType(failure.error) };
      recordMetric(SENT_MESSAGES, 1, measured);
      recordMetric(OPERATION_DURATION, Math.max(0, clock.now() - started) / 1000, measured);
    }
  });
}

/** What the processing of one delivery reports besides its span's duration. */
export interface DeliveryTrace {
  /** The handler (or decoding) failed. */
  failed(error: unknown): void;
  /** The delivery was handed back for a redelivery after `delayMs`. */
  redelivery(delayMs: number | undefined): void;
  /** The event was dead-lettered to `subject` (`false`: terminated without a dead letter). */
  deadLettered(error: unknown, subject: string | false): void;
}

const NO_TRACE: DeliveryTrace = Object.freeze({
  failed: () => {},
  redelivery: () => {},
  deadLettered: () => {},
});

/** What is known about a delivery when its processing starts. */
interface DeliveryFacts {
  readonly subject: string;
  readonly consumer: string;
  readonly deliveryCount: number;
  readonly headers: MsgHdrs | undefined;
  /** The decoded event, when it could be decoded. */
  readonly event: Message | undefined;
}

/**
 * Processes one delivery in a `process <subject>` consumer span that continues the trace of the
 * message's NATS headers (else of the event's `metadata.headers`). When the subscription runs
 * inside a span of its own (which then is the parent), the message's context becomes a link.
 */
export function tracedDelivery(
  msg: JsMsg,
  consumer: string,
  event: Message | undefined,
  clock: Clock,
  run: (trace: DeliveryTrace) => Promise<void>,
): Promise<void> {
  if (!telemetryEnabled()) return run(NO_TRACE);
  const facts: DeliveryFacts = {
    subject: msg.subject,
    consumer,
    deliveryCount: msg.info.deliveryCount,
    headers: msg.headers,
    event,
  };
  const carrier = wireCarrier(facts.headers) ?? carrierOf(facts.event?.metadata.headers);
  const nested = carrier !== undefined && traceHeaders()[TRACEPARENT] !== undefined;
  const metricAttributes = {
    'messaging.system': 'nats',
    'messaging.destination.name': facts.subject,
    'messaging.consumer.group.name': facts.consumer,
    'messaging.operation.name': 'process',
  };
  const attributes: Attributes = {
    ...metricAttributes,
    'messaging.operation.type': 'process',
    'messaging.message.id': facts.event?.metadata.messageId ?? facts.headers?.get('Nats-Msg-Id'),
    'messaging.message.conversation_id': facts.event?.metadata.correlationId,
    'keel.message.type': facts.event?.type,
    'keel.delivery.attempt': facts.deliveryCount,
  };
  const options = {
    kind: 'consumer' as const,
    attributes,
    parent: carrier,
    links: nested ? [carrier] : undefined,
  };
  return withSpan(`process ${facts.subject}`, options, async (span) => {
    const started = clock.now();
    const trace = deliveryTrace(span, facts, metricAttributes);
    try {
      await run(trace);
    } finally {
      const measured =
        trace.error === undefined ? metricAttributes : { ...metricAttributes, 'error.type': trace.error };
      recordMetric(CONSUMED_MESSAGES, 1, measured);
      recordMetric(PROCESS_DURATION, Math.max(0, clock.now() - started) / 1000, measured);
    }
  });
}

function deliveryTrace(
  span: TelemetrySpan,
  facts: DeliveryFacts,
  metricAttributes: Attributes,
): DeliveryTrace & { readonly error: string | undefined } {
  let failedWith: string | undefined;
  const failed = (error: unknown): void => {
    if (failedWith !== undefined) return;
    failedWith = errorType(error);
    span.fail(error);
  };
  return {
    get error() {
      return failedWith;
    },
    failed,
    redelivery(delayMs) {
      span.addEvent('redelivery', {
        'keel.delivery.attempt': facts.deliveryCount,
        'keel.redelivery.delay_ms': delayMs,
        'error.type': failedWith,
      });
      recordMetric(REDELIVERIES, 1, metricAttributes);
    },
    deadLettered(error, subject) {
      failed(error);
      span.addEvent('dead_letter', {
        'keel.delivery.attempt': facts.deliveryCount,
        'keel.dead_letter.subject': subject === false ? undefined : subject,
        'error.type': errorType(error),
      });
      recordMetric(DEAD_LETTERS, 1, { ...metricAttributes, 'error.type': errorType(error) });
    },
  };
}

function wireCarrier(headers: MsgHdrs | undefined): TraceCarrier | undefined {
  const traceparent = headers?.get(TRACEPARENT);
  if (traceparent === undefined || traceparent === '') return undefined;
  const tracestate = headers?.get(TRACESTATE);
  return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
}
