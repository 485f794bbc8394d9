/**
 * The NATS headers the transport writes. The event itself travels in the body (see
 * {@link EventCodec}); these mirror a few of its fields for de-duplication, routing and tools.
 */
export const KEEL_HEADERS = Object.freeze({
  /** JetStream's de-duplication header: the event's `metadata.messageId`. */
  messageId: 'Nats-Msg-Id',
  /** The event's `type`. */
  eventType: 'Keel-Event-Type',
  /** The event's `metadata.correlationId`. */
  correlationId: 'Keel-Correlation-Id',
  /** The codec's content type, e.g. `application/json`. */
  contentType: 'Content-Type',
  /** The envelope format version, `1`. */
  envelope: 'Keel-Envelope',
  /** Dead letters: the `code` of the last error (or the error's name when it has none). */
  errorCode: 'Keel-Error-Code',
  /** Dead letters: the last error's message, one line, at most 1024 characters. */
  errorMessage: 'Keel-Error-Message',
  /** Dead letters: how many times the event was delivered. */
  deliveryCount: 'Keel-Delivery-Count',
  /** Dead letters: the subject the event was published on. */
  originalSubject: 'Keel-Original-Subject',
  /** Dead letters: the stream that stored the event. */
  originalStream: 'Keel-Original-Stream',
  /** Dead letters: the event's sequence in that stream. */
  originalSequence: 'Keel-Original-Sequence',
  /** Dead letters: the durable consumer that gave up on the event. */
  consumer: 'Keel-Consumer',
  /** Dead letters: when it was dead-lettered, ISO-8601. */
  failedAt: 'Keel-Failed-At',
} as const);

/** The envelope version this package writes and reads. */
export const ENVELOPE_VERSION = '1';
