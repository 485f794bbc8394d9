import { isKeelError, KeelError, toError } from '@keel/core';
import type { KeelErrorOptions, Message } from '@keel/core';

/** Stable codes of the errors `@keel/cqrs` throws. */
export const CQRS_ERROR_CODES = Object.freeze({
  noHandler: 'CQRS_NO_HANDLER',
  duplicateHandler: 'CQRS_DUPLICATE_HANDLER',
  eventDelivery: 'CQRS_EVENT_DELIVERY_FAILED',
  invalidOption: 'CQRS_INVALID_OPTION',
  idempotencyInProgress: 'CQRS_IDEMPOTENCY_IN_PROGRESS',
  idempotencyClaimLost: 'CQRS_IDEMPOTENCY_CLAIM_LOST',
  eventBusClosed: 'CQRS_EVENT_BUS_CLOSED',
} as const);

/** Which bus a message travels on. */
export type MessageKind = 'command' | 'query' | 'event';

/**
 * A command or query was sent but no handler is registered for its type.
 *
 * @example
 * ```ts
 * try { await commands.execute(cmd); } catch (error) { if (isNoHandlerError(error)) console.log(error.messageType); }
 * ```
 */
export class NoHandlerError extends KeelError {
  /** The type that has no handler. */
  readonly messageType: string;
  /** Whether it was a command or a query. */
  readonly kind: MessageKind;

  constructor(kind: MessageKind, messageType: string, options: KeelErrorOptions = {}) {
    super(
      CQRS_ERROR_CODES.noHandler,
      `No handler is registered for ${kind} "${messageType}"; register one with ${kind}Bus.register("${messageType}", handler).`,
      { ...options, details: { ...options.details, kind, messageType } },
    );
    this.kind = kind;
    this.messageType = messageType;
  }
}

/** A second handler was registered for a command or query type that already has one. */
export class DuplicateHandlerError extends KeelError {
  /** The type registered twice. */
  readonly messageType: string;
  /** Whether it was a command or a query. */
  readonly kind: MessageKind;

  constructor(kind: MessageKind, messageType: string, options: KeelErrorOptions = {}) {
    super(
      CQRS_ERROR_CODES.duplicateHandler,
      `A handler for ${kind} "${messageType}" is already registered; a ${kind} has exactly one handler. ` +
        'Dispose the first registration before registering another.',
      { ...options, details: { ...options.details, kind, messageType } },
    );
    this.kind = kind;
    this.messageType = messageType;
  }
}

/** One handler (or the pipeline around it) failing on one event. */
export interface EventHandlerFailure {
  /** The event being delivered. */
  readonly event: Message;
  /** The handler's name, or `(pipeline)` when a bus middleware failed before any handler ran. */
  readonly handler: string;
  /** What was thrown. */
  readonly error: Error;
}

/**
 * One or more event handlers failed. Every other handler and every later event was still
 * delivered; `failures` lists every failure of the publish, in delivery order.
 */
export class EventDeliveryError extends KeelError {
  /** Every failure, in delivery order. */
  readonly failures: readonly EventHandlerFailure[];

  constructor(failures: readonly EventHandlerFailure[], options: KeelErrorOptions = {}) {
    const lines = failures.map(
      (f) => `${f.handler} on ${f.event.type} (${f.event.metadata.messageId}): ${f.error.message}`,
    );
    const count =
      failures.length === 1 ? '1 event handler failed' : `${failures.length} event handlers failed`;
    super(CQRS_ERROR_CODES.eventDelivery, `${count}; the other handlers ran. ${lines.join('; ')}`, {
      ...options,
      cause: options.cause ?? failures[0]?.error,
      details: {
        ...options.details,
        failures: failures.map((f) => ({
          handler: f.handler,
          type: f.event.type,
          messageId: f.event.metadata.messageId,
        })),
      },
    });
    this.failures = Object.freeze([...failures]);
  }

  /** Builds failures from anything thrown while delivering `event`, flattening nested delivery errors. */
  static failuresOf(event: Message, handler: string, error: unknown): EventHandlerFailure[] {
    if (isEventDeliveryError(error)) return [...error.failures];
    return [{ event, handler, error: toError(error) }];
  }
}

/**
 * An argument was out of range or of the wrong kind, e.g. an empty message type given to
 * `register` or `subscribe`. (Bad options are refused at construction with core's
 * `ValidationError`, which lists every problem at once.)
 */
export class InvalidOptionError extends KeelError {
  /** The option's name. */
  readonly option: string;

  constructor(option: string, expected: string, actual: unknown, options: KeelErrorOptions = {}) {
    super(CQRS_ERROR_CODES.invalidOption, `"${option}" must be ${expected}; got ${String(actual)}.`, {
      ...options,
      details: { ...options.details, option, expected, actual },
    });
    this.option = option;
  }
}

/**
 * A message with the same idempotency key is still being handled elsewhere and did not finish
 * within the wait limit. Retry later; it will then return the first result.
 */
export class IdempotencyInProgressError extends KeelError {
  /** The idempotency key. */
  readonly key: string;

  constructor(key: string, waitedMs: number, options: KeelErrorOptions = {}) {
    super(
      CQRS_ERROR_CODES.idempotencyInProgress,
      `Message "${key}" is still being handled elsewhere after waiting ${waitedMs} ms; retry later to get its result.`,
      { ...options, details: { ...options.details, key, waitedMs } },
    );
    this.key = key;
  }
}

/**
 * The idempotency claim of a running handler was lost: renewing its lease failed (the store
 * said another worker holds the key, or the store could not be reached before the lease ran
 * out). The handler's signal aborts with this error, so it stops working on a message that
 * another worker may now be handling.
 */
export class IdempotencyClaimLostError extends KeelError {
  /** The idempotency key. */
  readonly key: string;

  constructor(key: string, reason: string, options: KeelErrorOptions = {}) {
    super(
      CQRS_ERROR_CODES.idempotencyClaimLost,
      `Lost the idempotency claim on "${key}": ${reason}. The handler was asked to stop, because another worker may now handle this message.`,
      { ...options, details: { ...options.details, key } },
    );
    this.key = key;
  }
}

/** Something was published to (or consumed by) an `EventBus` after `close()` was called. */
export class EventBusClosedError extends KeelError {
  /** What was attempted: `publish` or `consume`. */
  readonly operation: string;

  constructor(operation: string, options: KeelErrorOptions = {}) {
    super(
      CQRS_ERROR_CODES.eventBusClosed,
      `Cannot ${operation}: the event bus was closed. Create a new bus, or publish before close().`,
      { ...options, details: { ...options.details, operation } },
    );
    this.operation = operation;
  }
}

/** Whether `value` is a {@link NoHandlerError} (from any loaded copy of Keel). */
export function isNoHandlerError(value: unknown): value is NoHandlerError {
  return isKeelError(value, CQRS_ERROR_CODES.noHandler);
}

/** Whether `value` is a {@link DuplicateHandlerError} (from any loaded copy of Keel). */
export function isDuplicateHandlerError(value: unknown): value is DuplicateHandlerError {
  return isKeelError(value, CQRS_ERROR_CODES.duplicateHandler);
}

/** Whether `value` is an {@link EventDeliveryError} (from any loaded copy of Keel). */
export function isEventDeliveryError(value: unknown): value is EventDeliveryError {
  return isKeelError(value, CQRS_ERROR_CODES.eventDelivery);
}

/** Whether `value` is an {@link InvalidOptionError} (from any loaded copy of Keel). */
export function isInvalidOptionError(value: unknown): value is InvalidOptionError {
  return isKeelError(value, CQRS_ERROR_CODES.invalidOption);
}

/** Whether `value` is an {@link IdempotencyInProgressError} (from any loaded copy of Keel). */
export function isIdempotencyInProgressError(value: unknown): value is IdempotencyInProgressError {
  return isKeelError(value, CQRS_ERROR_CODES.idempotencyInProgress);
}

/** Whether `value` is an {@link IdempotencyClaimLostError} (from any loaded copy of Keel). */
export function isIdempotencyClaimLostError(value: unknown): value is IdempotencyClaimLostError {
  return isKeelError(value, CQRS_ERROR_CODES.idempotencyClaimLost);
}

/** Whether `value` is an {@link EventBusClosedError} (from any loaded copy of Keel). */
export function isEventBusClosedError(value: unknown): value is EventBusClosedError {
  return isKeelError(value, CQRS_ERROR_CODES.eventBusClosed);
}
