import { systemClock } from '@keel/core';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { snapshotSchemaVersion } from './snapshotPolicy.js';
import type { SnapshotOptions } from './snapshotPolicy.js';

type Pages = AsyncIterable<readonly RecordedEvent[]>;

/**
 * The stream's pages after a snapshot at `version`, or `undefined` when the snapshot cannot be
 * trusted because it is ahead of its stream: its version is above the stream's (corrupt, or saved
 * by a transaction that rolled back), or not a version at all.
 *
 * It costs no extra round trip: the read starts at `version` itself, so the first event tells
 * whether the stream reaches the snapshot; that event is then left out of the pages.
 */
export async function pagesAfterSnapshot(
  store: EventStore,
  streamName: string,
  version: number,
  signalOption: { signal?: AbortSignal },
): Promise<Pages | undefined> {
  if (!Number.isSafeInteger(version) || version < 1) return undefined;
  const pages = store.readStreamPages(streamName, { fromVersion: version, ...signalOption });
  const iterator = pages[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true || first.value[0]?.streamVersion !== version) {
    await iterator.return?.();
    return undefined;
  }
  const rest = first.value.slice(1);
  return (async function* () {
    try {
      if (rest.length > 0) yield rest;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  })();
}

/**
 * Replaces a snapshot the loader could not use (another schema version, or ahead of its stream)
 * with one of the state just rebuilt at `version`. A snapshot ahead of the stream is deleted
 * first, since stores keep the higher version and would ignore the fresh one. Failures go to
 * `onError` and are otherwise swallowed, like every snapshot save.
 *
 * @returns Whether the fresh snapshot was saved.
 */
export async function replaceSnapshot<TState>(
  options: SnapshotOptions<TState>,
  streamName: string,
  unusableVersion: number,
  version: number,
  state: TState,
  signalOption: { signal?: AbortSignal },
): Promise<boolean> {
  if (!(unusableVersion <= version)) {
    try {
      await options.store.delete(streamName, signalOption);
    } catch (error) {
      options.onError?.(error, streamName);
      return false;
    }
  }
  if (version === 0) return false;
  return saveSnapshot(options, streamName, version, state, signalOption);
}

/**
 * Saves a snapshot with the options' schema version. A failure is reported to
 * `options.onError` and otherwise swallowed: the events are already safe.
 */
export async function saveSnapshot<TState>(
  options: SnapshotOptions<TState>,
  streamName: string,
  version: number,
  state: TState,
  signalOption: { signal?: AbortSignal },
): Promise<boolean> {
  try {
    const takenAt = new Date((options.clock ?? systemClock).now());
    await options.store.save(
      { streamName, version, schemaVersion: snapshotSchemaVersion(options), state, takenAt },
      signalOption,
    );
    return true;
  } catch (error) {
    options.onError?.(error, streamName);
    return false;
  }
}

/**
 * Runs the snapshot policy after an append and saves a snapshot when it says so.
 *
 * @returns The version of the latest usable snapshot afterwards.
 */
export async function snapshotIfDue<TState>(
  options: SnapshotOptions<TState> | undefined,
  context: { streamName: string; version: number; snapshotVersion: number; appended: number; state: TState },
  signalOption: { signal?: AbortSignal },
): Promise<number> {
  if (options === undefined || context.appended === 0) return context.snapshotVersion;
  const due = options.policy({ ...context, eventsSinceSnapshot: context.version - context.snapshotVersion });
  if (!due) return context.snapshotVersion;
  const saved = await saveSnapshot(options, context.streamName, context.version, context.state, signalOption);
  return saved ? context.version : context.snapshotVersion;
}
