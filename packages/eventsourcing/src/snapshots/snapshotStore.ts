import { optionInteger, optionRule, throwIfAborted, toStorableJson } from '@keel/core';
import type { SignalOptions } from '../eventStore/eventStore.js';
import { assertValid, checkStreamName, describeName, streamNameProblem } from '../eventStore/names.js';

/** The largest snapshot schema version every store accepts (a 32-bit integer column in SQL). */
const MAX_SCHEMA_VERSION = 2_147_483_647;

/** The saved state of a stream at a version, so loading replays only later events. */
export interface Snapshot<TState = unknown> {
  /** The stream the snapshot belongs to. */
  readonly streamName: string;
  /** The stream version the state includes (the version of the last event applied), >= 1. */
  readonly version: number;
  /**
   * The version of the state's shape (an integer from 1 to 2^31 - 1). A snapshot whose schema
   * version differs from the loader's current one is ignored and rebuilt from events, never trusted.
   */
  readonly schemaVersion: number;
  /**
   * The state, kept as storable JSON by every store (core's `toStorableJson`): a `Date` loads
   * back as its ISO string, a class instance as a plain object, and NUL characters, lone
   * surrogates or BigInt are refused with a `SerializationError`.
   */
  readonly state: TState;
  /** When the snapshot was taken. */
  readonly takenAt: Date;
}

/**
 * Where snapshots live: one (the newest) per stream. Implementations: {@link InMemorySnapshotStore},
 * the PostgreSQL one; `snapshotStoreContract` checks them.
 *
 * Loaders (`aggregateStream`, `EventSourcedRepository`, the decider command handler) never
 * trust a snapshot blindly: one with another schema version, or one ahead of its stream (a
 * version above the stream's, e.g. saved by a transaction that later rolled back), is ignored
 * and the state rebuilt from the events.
 */
export interface SnapshotStore {
  /** The stream's snapshot, or `undefined` when it has none. */
  load<TState = unknown>(streamName: string, options?: SignalOptions): Promise<Snapshot<TState> | undefined>;
  /**
   * Saves `snapshot` unless the stored one is at a higher version (an older snapshot never wins).
   *
   * @throws ValidationError when a field is out of range (see {@link checkSnapshot}); nothing is saved.
   * @throws SerializationError (from `@keel/core`) when the state cannot be stored; nothing is saved.
   */
  save(snapshot: Snapshot, options?: SignalOptions): Promise<void>;
  /** Deletes the stream's snapshot; does nothing when there is none. */
  delete(streamName: string, options?: SignalOptions): Promise<void>;
}

/**
 * Refuses a snapshot no store can keep, with one `ValidationError` listing every problem: a
 * stream name `checkStreamName` refuses, a `version` that is not an integer >= 1, a
 * `schemaVersion` that is not an integer from 1 to 2^31 - 1, or a `takenAt` that is not a valid
 * `Date`. Every snapshot store calls it first in `save` (the state itself is checked when it is
 * serialized).
 *
 * @param snapshot The snapshot to save.
 * @throws ValidationError listing every problem.
 */
export function checkSnapshot(snapshot: Snapshot): void {
  const value = (snapshot ?? {}) as Partial<Record<keyof Snapshot, unknown>>;
  const takenAt = value.takenAt;
  assertValid('snapshot', {
    streamName: streamNameProblem(value.streamName),
    version: optionInteger(value.version, { min: 1, required: true }),
    schemaVersion: optionInteger(value.schemaVersion, { min: 1, max: MAX_SCHEMA_VERSION, required: true }),
    takenAt: optionRule(
      takenAt instanceof Date && !Number.isNaN(takenAt.getTime()),
      `must be a valid Date (got ${takenAt instanceof Date ? 'an invalid Date' : describeName(takenAt)}).`,
    ),
  });
}

/** A snapshot as {@link InMemorySnapshotStore} keeps it: the state as JSON text. */
interface StoredSnapshot {
  readonly streamName: string;
  readonly version: number;
  readonly schemaVersion: number;
  readonly state: string | undefined;
  readonly takenAt: number;
}

/**
 * A {@link SnapshotStore} in memory. It keeps states exactly as the PostgreSQL store does, as
 * storable JSON (core's `toStorableJson`), so it refuses and changes the same values, and it
 * hands out a fresh copy on every load: later mutations never leak into a snapshot.
 *
 * @example
 * ```ts
 * const snapshots = new InMemorySnapshotStore();
 * ```
 */
export class InMemorySnapshotStore implements SnapshotStore {
  readonly #snapshots = new Map<string, StoredSnapshot>();

  /** How many streams have a snapshot. */
  get size(): number {
    return this.#snapshots.size;
  }

  async load<TState = unknown>(
    streamName: string,
    options: SignalOptions = {},
  ): Promise<Snapshot<TState> | undefined> {
    throwIfAborted(options.signal);
    checkStreamName(streamName);
    const stored = this.#snapshots.get(streamName);
    if (stored === undefined) return undefined;
    return {
      streamName: stored.streamName,
      version: stored.version,
      schemaVersion: stored.schemaVersion,
      state: (stored.state === undefined ? undefined : JSON.parse(stored.state)) as TState,
      takenAt: new Date(stored.takenAt),
    };
  }

  async save(snapshot: Snapshot, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkSnapshot(snapshot);
    const state = toStorableJson(snapshot.state, `the snapshot state of stream "${snapshot.streamName}"`);
    const existing = this.#snapshots.get(snapshot.streamName);
    if (existing !== undefined && existing.version > snapshot.version) return;
    this.#snapshots.set(snapshot.streamName, {
      streamName: snapshot.streamName,
      version: snapshot.version,
      schemaVersion: snapshot.schemaVersion,
      state,
      takenAt: snapshot.takenAt.getTime(),
    });
  }

  async delete(streamName: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkStreamName(streamName);
    this.#snapshots.delete(streamName);
  }
}
