import { DuplicateEventError } from '../errors/errors.js';
import { NO_STREAM } from './expectedVersion.js';
import type { ExpectedVersion } from './expectedVersion.js';
import type { EventMetadata, NewEvent } from './recordedEvent.js';

/** What {@link checkRecordedIds} needs to know about an event already recorded. */
export interface RecordedIdentity {
  readonly streamName: string;
  readonly streamVersion: number;
  readonly globalPosition: number;
  readonly eventId: string;
}

/**
 * The duplicate-id rule every store follows, applied before the expected version is checked.
 *
 * - An id repeated within the batch is a {@link DuplicateEventError}.
 * - When no id of the batch is recorded yet, returns `undefined`: the append goes on (and the
 *   expected version is checked next).
 * - When the whole batch is already recorded, in order, in this stream, at the position the
 *   append targets, returns the earlier events in batch order: the append is an idempotent
 *   retry (`appended: false`), whatever the stream's version is now. The target is version
 *   `expected + 1` for a number, 1 for `NO_STREAM`, and wherever the first id sits for `ANY` and
 *   `STREAM_EXISTS`.
 * - Otherwise (some ids recorded, or all of them but elsewhere) it is a
 *   {@link DuplicateEventError} naming the earliest recorded one, whatever the expected version
 *   says: the batch is neither new nor a retry.
 *
 * @param streamName The stream appended to.
 * @param ids The ids of the batch, in order.
 * @param expected The append's expected version.
 * @param recorded The already recorded events whose id is one of `ids`, in any order.
 * @returns The earlier events for a retry, or `undefined` when none of the ids is recorded.
 * @throws DuplicateEventError when an id repeats in the batch or the batch is not a retry.
 * @example
 * ```ts
 * const earlier = checkRecordedIds(streamName, ids, expected, rowsWithTheseIds);
 * if (earlier !== undefined) return { ...resultOf(earlier), appended: false };
 * ```
 */
export function checkRecordedIds<TEvent extends RecordedIdentity>(
  streamName: string,
  ids: readonly string[],
  expected: ExpectedVersion,
  recorded: readonly TEvent[],
): TEvent[] | undefined {
  checkUniqueIds(streamName, ids);
  if (recorded.length === 0) return undefined;
  const byId = new Map(recorded.map((event) => [event.eventId, event] as const));
  const earlier = ids.map((id) => byId.get(id));
  const first = earlier[0];
  const target =
    typeof expected === 'number' ? expected + 1 : expected === NO_STREAM ? 1 : first?.streamVersion;
  const isRetry = earlier.every(
    (event, index) =>
      event !== undefined &&
      event.streamName === streamName &&
      target !== undefined &&
      event.streamVersion === target + index,
  );
  if (isRetry) return earlier as TEvent[];
  const clash = recorded.reduce((a, b) => (b.globalPosition < a.globalPosition ? b : a));
  throw new DuplicateEventError(clash.eventId, clash.streamName, clash.streamVersion);
}

function checkUniqueIds(streamName: string, ids: readonly string[]): void {
  if (ids.length < 2) return;
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (seen.has(id)) throw new DuplicateEventError(id, streamName, index + 1);
    seen.add(id);
  });
}

/**
 * The id an event is recorded under: its `eventId`, else a core `metadata.messageId`, else a
 * new id from `newId` (a UUID v7).
 */
export function eventIdOf(event: NewEvent, newId: () => string): string {
  if (event.eventId !== undefined) return event.eventId;
  const messageId = (event.metadata as EventMetadata | undefined)?.['messageId'];
  return typeof messageId === 'string' && messageId.length > 0 ? messageId : newId();
}
