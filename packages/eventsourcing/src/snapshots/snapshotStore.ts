import { throwIfAborted } from '@keel/core';
import type { SignalOptions } from '../eventStore/eventStore.js';

/** The saved state of a stream at a version, so loading replays only later events. */
export interface Snapshot<TState = unknown> {
  /** The stream the snapshot belongs to. */
  readonly streamName: string;
  /** The stream version the state includes (the version of the last event applied). */
  readonly version: number;
  /**
   * The version of the state's shape. A snapshot whose schema version differs from the
   * loader's current one is ignored and rebuilt from events, never trusted.
   */
  readonly schemaVersion: number;
  /** The state; must survive serialization (plain data) for durable stores. */
  readonly state: TState;
  /** When the snapshot was taken. */
  readonly takenAt: Date;
}

/**
 * Where snapshots live: one (the newest) per stream. Implementations: {@link InMemorySnapshotStore},
 * the PostgreSQL one; `snapshotStoreContract` checks them.
 */
export interface SnapshotStore {
  /** The stream's snapshot, or `undefined` when it has none. */
  load<TState = unknown>(streamName: string, options?: SignalOptions): Promise<Snapshot<TState> | undefined>;
  /** Saves `snapshot` unless the stored one is at a higher version (an older snapshot never wins). */
  save(snapshot: Snapshot, options?: SignalOptions): Promise<void>;
  /** Deletes the stream's snapshot; does nothing when there is none. */
  delete(streamName: string, options?: SignalOptions): Promise<void>;
}

/**
 * A {@link SnapshotStore} in memory. States are copied with `structuredClone` on save and load,
 * as a durable store would serialize them, so later mutations never leak into a snapshot.
 *
 * @example
 * ```ts
 * const snapshots = new InMemorySnapshotStore();
 * ```
 */
export class InMemorySnapshotStore implements SnapshotStore {
  readonly #snapshots = new Map<string, Snapshot>();

  /** How many streams have a snapshot. */
  get size(): number {
    return this.#snapshots.size;
  }

  async load<TState = unknown>(
    streamName: string,
    options: SignalOptions = {},
  ): Promise<Snapshot<TState> | undefined> {
    throwIfAborted(options.signal);
    const snapshot = this.#snapshots.get(streamName);
    return snapshot === undefined ? undefined : (structuredClone(snapshot) as Snapshot<TState>);
  }

  async save(snapshot: Snapshot, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const existing = this.#snapshots.get(snapshot.streamName);
    if (existing !== undefined && existing.version > snapshot.version) return;
    this.#snapshots.set(snapshot.streamName, structuredClone(snapshot));
  }

  async delete(streamName: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    this.#snapshots.delete(streamName);
  }
}
