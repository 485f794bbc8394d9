import { systemClock, throwIfAborted } from '@keel/core';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { snapshotSchemaVersion } from './snapshotPolicy.js';
import type { SnapshotOptions } from './snapshotPolicy.js';

/** How to fold a stream into a state, and optionally where its snapshots are. */
export interface AggregateStreamOptions<TState> {
  /** The state before the first event. */
  initialState: () => TState;
  /** Applies one event to the state and returns the new state. */
  evolve: (state: TState, event: RecordedEvent) => TState;
  /** Start from the latest snapshot (when its schema version matches), then replay later events. */
  snapshots?: SnapshotOptions<TState> | undefined;
  /** Stops the load with the abort reason. */
  signal?: AbortSignal | undefined;
}

/** The outcome of {@link aggregateStream}. */
export interface AggregatedStream<TState> {
  /** The state after every event. */
  readonly state: TState;
  /** The stream's version: the expected version of the next append. 0 when it has no events. */
  readonly version: number;
  /** The version of the snapshot used, 0 when none was. */
  readonly snapshotVersion: number;
  /** How many events were replayed. */
  readonly replayed: number;
}

/**
 * Loads a stream's state: from the latest snapshot when there is one with the current schema
 * version (and only the events after it), otherwise from all events. A snapshot with another
 * schema version is ignored, and once the state is rebuilt a fresh snapshot replaces it.
 *
 * @param store The event store.
 * @param streamName The stream to load.
 * @param options The fold and the snapshot settings.
 * @returns The state and the stream's version.
 * @example
 * ```ts
 * const { state, version } = await aggregateStream(store, 'account-1', { initialState, evolve });
 * ```
 */
export async function aggregateStream<TState>(
  store: EventStore,
  streamName: string,
  options: AggregateStreamOptions<TState>,
): Promise<AggregatedStream<TState>> {
  throwIfAborted(options.signal);
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  const snapshots = options.snapshots;
  const schemaVersion = snapshotSchemaVersion(snapshots);
  const snapshot =
    snapshots === undefined ? undefined : await snapshots.store.load<TState>(streamName, signalOption);
  const usable = snapshot !== undefined && snapshot.schemaVersion === schemaVersion;
  let state = usable ? snapshot.state : options.initialState();
  const snapshotVersion = usable ? snapshot.version : 0;
  let version = snapshotVersion;
  let replayed = 0;
  for await (const page of store.readStreamPages(streamName, { fromVersion: version + 1, ...signalOption })) {
    for (const event of page) state = options.evolve(state, event);
    version = page[page.length - 1]?.streamVersion ?? version;
    replayed += page.length;
  }
  if (snapshot !== undefined && !usable && snapshots !== undefined && version > 0) {
    await saveSnapshot(snapshots, streamName, version, state, signalOption);
    return { state, version, snapshotVersion: version, replayed };
  }
  return { state, version, snapshotVersion, replayed };
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
