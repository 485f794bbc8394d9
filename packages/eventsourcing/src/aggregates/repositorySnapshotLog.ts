import type { Logger } from '@keel/core';
import type { SnapshotOptions } from '../snapshots/snapshotPolicy.js';

/** Where a failed snapshot save goes: the user's `onError`, else a warning in the log. */
export function snapshotErrorReporter(
  snapshots: SnapshotOptions<never>,
  logger: Logger,
): (error: unknown, streamName: string) => void {
  if (snapshots.onError !== undefined) return snapshots.onError;
  return (error, streamName) =>
    logger.warn(
      `Could not save a snapshot of stream "${streamName}"; the events are stored, and loads replay them until a snapshot is saved.`,
      { streamName, error },
    );
}

/** Says which snapshot a load ignored (and rebuilt from events), and why. */
export function logIgnoredSnapshot(
  logger: Logger,
  streamName: string,
  snapshot: { readonly version: number; readonly schemaVersion: number },
  expectedSchemaVersion: number,
): void {
  const reason =
    snapshot.schemaVersion === expectedSchemaVersion
      ? 'it is ahead of its stream'
      : `its schema version is ${snapshot.schemaVersion}, not ${expectedSchemaVersion}`;
  logger.info(
    `Ignored the snapshot of stream "${streamName}" at version ${snapshot.version} (${reason}); rebuilt the state from every event.`,
    { streamName, snapshotVersion: snapshot.version, schemaVersion: snapshot.schemaVersion },
  );
}
