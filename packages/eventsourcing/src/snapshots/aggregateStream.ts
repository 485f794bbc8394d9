import { throwIfAborted } from '@keel/core';
import type { EventStore } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { snapshotSchemaVersion } from './snapshotPolicy.js';
import type { SnapshotOptions } from './snapshotPolicy.js';
import { pagesAfterSnapshot, replaceSnapshot } from './snapshotLifecycle.js';

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
 * version (and only the events after it), otherwise from all events. A snapshot that cannot be
 * trusted is ignored, the state rebuilt from every event, and a fresh snapshot written in its
 * place: one with another schema version, and one ahead of its stream (a version above the
 * stream's, e.g. saved by a transaction that rolled back, which would otherwise give phantom
 * state and make every later append at the loaded version fail).
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
  const after =
    snapshot === undefined || snapshot.schemaVersion !== schemaVersion
      ? undefined
      : await pagesAfterSnapshot(store, streamName, snapshot.version, signalOption);
  const usable = after !== undefined && snapshot !== undefined;
  let state = usable ? snapshot.state : options.initialState();
  const snapshotVersion = usable ? snapshot.version : 0;
  let version = snapshotVersion;
  let replayed = 0;
  const pages = after ?? store.readStreamPages(streamName, { fromVersion: 1, ...signalOption });
  for await (const page of pages) {
    for (const event of page) state = options.evolve(state, event);
    version = page[page.length - 1]?.streamVersion ?? version;
    replayed += page.length;
  }
  if (snapshot !== undefined && !usable && snapshots !== undefined) {
    const saved = await replaceSnapshot(
      snapshots,
      streamName,
      snapshot.version,
      version,
      state,
      signalOption,
    );
    if (saved) return { state, version, snapshotVersion: version, replayed };
  }
  return { state, version, snapshotVersion, replayed };
}
