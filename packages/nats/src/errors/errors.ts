import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** Stable codes of the errors `@keel/nats` throws or reports. */
export const NATS_ERROR_CODES = Object.freeze({
  invalidOption: 'NATS_INVALID_OPTION',
  invalidSubject: 'NATS_INVALID_SUBJECT',
  serialization: 'NATS_SERIALIZATION_FAILED',
  publish: 'NATS_PUBLISH_FAILED',
  setup: 'NATS_SETUP_FAILED',
  closed: 'NATS_TRANSPORT_CLOSED',
  deliveryLimit: 'NATS_DELIVERY_LIMIT_REACHED',
} as const);

/**
 * An option of the NATS transport is missing, out of range or of the wrong kind; raised when the
 * transport is created.
 *
 * @example
 * ```ts
 * try { createNatsEventTransport(nc, { maxDeliver: 0 }); } catch (error) { if (isNatsOptionError(error)) console.log(error.option); }
 * ```
 */
export class NatsOptionError extends KeelError {
  /** The option's name. */
  readonly option: string;

  constructor(option: string, expected: string, actual: unknown, options: KeelErrorOptions = {}) {
    super(NATS_ERROR_CODES.invalidOption, `"${option}" must be ${expected}; got ${describe(actual)}.`, {
      ...options,
      details: { ...options.details, option, expected },
    });
    this.option = option;
  }
}

/**
 * An event mapped to a subject NATS cannot carry (empty token, wildcard, whitespace, longer than
 * 1024 UTF-8 bytes) or outside the stream; raised by `publish()` before anything is sent.
 */
export class NatsInvalidSubjectError extends KeelError {
  /** The rejected subject, in full. */
  readonly subject: string;

  constructor(subject: string, reason: string, options: KeelErrorOptions = {}) {
    super(NATS_ERROR_CODES.invalidSubject, `Subject "${abbreviate(subject)}" cannot be used: ${reason}.`, {
      ...options,
      details: { ...options.details, subject },
    });
    this.subject = subject;
  }
}

/** An event could not be turned into bytes, or bytes received were not a valid event. */
export class NatsSerializationError extends KeelError {
  /** Whether encoding (publish) or decoding (consume) failed. */
  readonly direction: 'encode' | 'decode';

  constructor(direction: 'encode' | 'decode', reason: string, options: KeelErrorOptions = {}) {
    const what =
      direction === 'encode'
        ? `Could not encode the event: ${reason}. Event data must be JSON-serializable (no BigInt or cycles).`
        : `Could not decode a received message: ${reason}. It was not published by a Keel transport with the same codec.`;
    super(NATS_ERROR_CODES.serialization, what, { ...options, details: { ...options.details, direction } });
    this.direction = direction;
  }
}

/**
 * JetStream did not accept an event. Events before `failedIndex` were stored; publishing the
 * same batch again is safe, since JetStream drops the ones it already has by message id.
 */
export class NatsPublishError extends KeelError {
  /** How many events of the batch were stored before the failure. */
  readonly published: number;
  /** The index in the batch of the event that failed. */
  readonly failedIndex: number;

  /** How many times the failed event was sent (retries of transient failures included). */
  readonly attempts: number;

  constructor(
    args: { subject: string; messageId: string; failedIndex: number; total: number; attempts?: number },
    options: KeelErrorOptions = {},
  ) {
    const { subject, messageId, failedIndex, total, attempts = 1 } = args;
    const cause = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    super(
      NATS_ERROR_CODES.publish,
      `JetStream did not accept event ${failedIndex + 1} of ${total} (${messageId}) on "${subject}"${tries}${cause}. ` +
        `${failedIndex} event(s) before it were stored; publish the batch again (duplicates are dropped by message id) ` +
        'after checking that a stream captures the subject (call ensureStream()).',
      { ...options, details: { ...options.details, subject, messageId, failedIndex, total, attempts } },
    );
    this.attempts = attempts;
    this.published = failedIndex;
    this.failedIndex = failedIndex;
  }
}

/** Creating or updating a stream or a durable consumer failed. */
export class NatsSetupError extends KeelError {
  /** The stream or consumer concerned. */
  readonly resource: string;

  constructor(resource: string, hint: string, options: KeelErrorOptions = {}) {
    const cause = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(NATS_ERROR_CODES.setup, `Could not set up ${resource}${cause}. ${hint}`, {
      ...options,
      details: { ...options.details, resource },
    });
    this.resource = resource;
  }
}

/** The transport was used after `close()`. */
export class NatsTransportClosedError extends KeelError {
  constructor(operation: string, options: KeelErrorOptions = {}) {
    super(
      NATS_ERROR_CODES.closed,
      `Cannot ${operation}: the NATS event transport is closed. Create a new transport.`,
      options,
    );
  }
}

/**
 * Reported (as the dead-letter reason, never thrown to callers) when an event was delivered
 * `maxDeliver` times without being acknowledged: its handler crashed the process or outlived
 * `ackWaitMs` every time.
 */
export class NatsDeliveryLimitError extends KeelError {
  /** How many times the event was delivered. */
  readonly deliveryCount: number;

  constructor(messageId: string, deliveryCount: number, maxDeliver: number, options: KeelErrorOptions = {}) {
    super(
      NATS_ERROR_CODES.deliveryLimit,
      `Event ${messageId} was delivered ${deliveryCount} times (maxDeliver ${maxDeliver}) without an acknowledgement; ` +
        'its handler crashed or ran longer than ackWaitMs every time. It was dead-lettered.',
      { ...options, details: { ...options.details, messageId, deliveryCount, maxDeliver } },
    );
    this.deliveryCount = deliveryCount;
  }
}

/** Whether `value` is a {@link NatsOptionError}, from any loaded copy of this package. */
export function isNatsOptionError(value: unknown): value is NatsOptionError {
  return isKeelError(value, NATS_ERROR_CODES.invalidOption);
}

/** Whether `value` is a {@link NatsInvalidSubjectError}, from any loaded copy of this package. */
export function isNatsInvalidSubjectError(value: unknown): value is NatsInvalidSubjectError {
  return isKeelError(value, NATS_ERROR_CODES.invalidSubject);
}

/** Whether `value` is a {@link NatsSerializationError}, from any loaded copy of this package. */
export function isNatsSerializationError(value: unknown): value is NatsSerializationError {
  return isKeelError(value, NATS_ERROR_CODES.serialization);
}

/** Whether `value` is a {@link NatsPublishError}, from any loaded copy of this package. */
export function isNatsPublishError(value: unknown): value is NatsPublishError {
  return isKeelError(value, NATS_ERROR_CODES.publish);
}

/** Whether `value` is a {@link NatsSetupError}, from any loaded copy of this package. */
export function isNatsSetupError(value: unknown): value is NatsSetupError {
  return isKeelError(value, NATS_ERROR_CODES.setup);
}

/** Whether `value` is a {@link NatsTransportClosedError}, from any loaded copy of this package. */
export function isNatsTransportClosedError(value: unknown): value is NatsTransportClosedError {
  return isKeelError(value, NATS_ERROR_CODES.closed);
}

/** Whether `value` is a {@link NatsDeliveryLimitError}, from any loaded copy of this package. */
export function isNatsDeliveryLimitError(value: unknown): value is NatsDeliveryLimitError {
  return isKeelError(value, NATS_ERROR_CODES.deliveryLimit);
}

/** A subject short enough to quote in a message: a long one keeps its start. */
function abbreviate(subject: string): string {
  return subject.length > 120 ? `${subject.slice(0, 100)}… (${subject.length} characters)` : subject;
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
