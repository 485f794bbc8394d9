import { isKeelError, KeelError } from '@keel/core';
import type { KeelErrorOptions } from '@keel/core';

/** Stable codes of the errors `@keel/eventsourcing` throws (besides the shared core ones). */
export const EVENTSOURCING_ERROR_CODES = Object.freeze({
  duplicateEvent: 'EVENT_DUPLICATE',
  unknownSchemaVersion: 'EVENT_SCHEMA_VERSION_UNKNOWN',
  projectionFailed: 'PROJECTION_FAILED',
  deleteNotSupported: 'EVENT_SOURCED_DELETE_NOT_SUPPORTED',
  snapshotsNotSupported: 'EVENT_SOURCED_SNAPSHOTS_NOT_SUPPORTED',
} as const);

/**
 * An event id was already recorded elsewhere (another stream or another position), so the
 * batch is not a retry of the same append. Give every new event a fresh id.
 */
export class DuplicateEventError extends KeelError {
  /** The id that was already recorded. */
  readonly eventId: string;
  /** The stream that already holds the event. */
  readonly existingStream: string;
  /** The version at which it was recorded. */
  readonly existingVersion: number;

  constructor(
    eventId: string,
    existingStream: string,
    existingVersion: number,
    options: KeelErrorOptions = {},
  ) {
    super(
      EVENTSOURCING_ERROR_CODES.duplicateEvent,
      `Event id "${eventId}" is already recorded in stream "${existingStream}" at version ${existingVersion}; ` +
        'give every new event a fresh id (retrying the same batch at the same expected version is fine).',
      { ...options, details: { ...options.details, eventId, existingStream, existingVersion } },
    );
    this.eventId = eventId;
    this.existingStream = existingStream;
    this.existingVersion = existingVersion;
  }
}

/**
 * An event carries a schema version newer than the newest upcaster chain knows: it was
 * written by a newer release of the application. Deploy the newer upcasters before reading.
 */
export class UnknownSchemaVersionError extends KeelError {
  readonly eventType: string;
  readonly schemaVersion: number;
  readonly currentVersion: number;

  constructor(
    eventType: string,
    schemaVersion: number,
    currentVersion: number,
    options: KeelErrorOptions = {},
  ) {
    super(
      EVENTSOURCING_ERROR_CODES.unknownSchemaVersion,
      `Event type "${eventType}" has schema version ${schemaVersion} but the newest known is ${currentVersion}; ` +
        'register the upcasters of the release that wrote it.',
      { ...options, details: { ...options.details, eventType, schemaVersion, currentVersion } },
    );
    this.eventType = eventType;
    this.schemaVersion = schemaVersion;
    this.currentVersion = currentVersion;
  }
}

/**
 * A projection handler kept failing on one event (after its retry policy gave up) and the
 * runner was told to stop. The event is in the dead-letter store when one is configured.
 */
export class ProjectionFailedError extends KeelError {
  readonly projection: string;
  readonly position: number;
  readonly eventType: string;

  constructor(projection: string, position: number, eventType: string, options: KeelErrorOptions = {}) {
    super(
      EVENTSOURCING_ERROR_CODES.projectionFailed,
      `Projection "${projection}" failed on event "${eventType}" at global position ${position} and stopped; ` +
        'fix the handler (or the event) and start it again, or run it with onFailure "skip".',
      { ...options, details: { ...options.details, projection, position, eventType } },
    );
    this.projection = projection;
    this.position = position;
    this.eventType = eventType;
  }
}

/** Whether `value` is a {@link DuplicateEventError} (from any loaded copy of Keel). */
export function isDuplicateEventError(value: unknown): value is DuplicateEventError {
  return isKeelError(value, EVENTSOURCING_ERROR_CODES.duplicateEvent);
}

/** Whether `value` is an {@link UnknownSchemaVersionError} (from any loaded copy of Keel). */
export function isUnknownSchemaVersionError(value: unknown): value is UnknownSchemaVersionError {
  return isKeelError(value, EVENTSOURCING_ERROR_CODES.unknownSchemaVersion);
}

/** Whether `value` is a {@link ProjectionFailedError} (from any loaded copy of Keel). */
export function isProjectionFailedError(value: unknown): value is ProjectionFailedError {
  return isKeelError(value, EVENTSOURCING_ERROR_CODES.projectionFailed);
}

/**
 * An event-sourced aggregate cannot be deleted: its history is the record. Model the end of
 * its life as a domain event (e.g. `AccountClosed`).
 */
export class DeleteNotSupportedError extends KeelError {
  constructor(subject: string, options: KeelErrorOptions = {}) {
    super(
      EVENTSOURCING_ERROR_CODES.deleteNotSupported,
      `${subject} is event-sourced and cannot be deleted; raise a domain event that ends its life instead.`,
      { ...options, details: { ...options.details, subject } },
    );
  }
}

/** Whether `value` is a {@link DeleteNotSupportedError} (from any loaded copy of Keel). */
export function isDeleteNotSupportedError(value: unknown): value is DeleteNotSupportedError {
  return isKeelError(value, EVENTSOURCING_ERROR_CODES.deleteNotSupported);
}

/**
 * A repository was given `snapshots` for an aggregate that cannot be snapshotted (it does not
 * override `snapshotState()` and `restoreSnapshotState()`). Refused rather than ignored, since
 * the repository would otherwise never take or use a snapshot.
 */
export class SnapshotsNotSupportedError extends KeelError {
  /** The aggregate type that cannot be snapshotted. */
  readonly aggregateType: string;

  constructor(aggregateType: string, options: KeelErrorOptions = {}) {
    super(
      EVENTSOURCING_ERROR_CODES.snapshotsNotSupported,
      `The repository of ${aggregateType} was given snapshots, but ${aggregateType} cannot be snapshotted: ` +
        `give it a snapshot type (AggregateRoot<TId, TEvents, TSnapshot>) and override snapshotState() and ` +
        `restoreSnapshotState(), or remove the snapshots option.`,
      { ...options, details: { ...options.details, aggregateType } },
    );
    this.aggregateType = aggregateType;
  }
}

/** Whether `value` is a {@link SnapshotsNotSupportedError} (from any loaded copy of Keel). */
export function isSnapshotsNotSupportedError(value: unknown): value is SnapshotsNotSupportedError {
  return isKeelError(value, EVENTSOURCING_ERROR_CODES.snapshotsNotSupported);
}
