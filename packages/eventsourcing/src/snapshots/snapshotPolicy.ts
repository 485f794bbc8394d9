import type { Clock } from '@keel/core';
import { assertOptions, optionClock, optionFunction, optionInteger, optionObject } from '@keel/core';
import type { SnapshotStore } from './snapshotStore.js';

/** What a {@link SnapshotPolicy} is told after events were appended to a stream. */
export interface SnapshotPolicyContext<TState = unknown> {
  readonly streamName: string;
  /** The stream's version after the append. */
  readonly version: number;
  /** The version of the stream's latest usable snapshot, 0 when there is none. */
  readonly snapshotVersion: number;
  /** How many events a load would replay on top of that snapshot: `version - snapshotVersion`. */
  readonly eventsSinceSnapshot: number;
  /** How many events this append added. */
  readonly appended: number;
  /** The state after the append. */
  readonly state: TState;
}

/**
 * Decides whether to take a snapshot after an append. Write your own for custom rules (e.g.
 * snapshot when an account is closed); {@link everyNEvents} covers the usual case.
 */
export type SnapshotPolicy<TState = unknown> = (context: SnapshotPolicyContext<TState>) => boolean;

/**
 * A policy that snapshots once `n` or more events would be replayed on top of the latest
 * snapshot, so a load never replays more than `n - 1` events plus one batch.
 *
 * @param n Events between snapshots; an integer >= 1.
 * @throws ValidationError when `n` is not an integer >= 1.
 * @example
 * ```ts
 * const snapshots = { store: new InMemorySnapshotStore(), policy: everyNEvents(100) };
 * ```
 */
export function everyNEvents(n: number): SnapshotPolicy {
  assertOptions('everyNEvents', { n: optionInteger(n, { min: 1, required: true }) });
  return (context) => context.eventsSinceSnapshot >= n;
}

/** The defaults of {@link SnapshotOptions}. */
export const SNAPSHOT_DEFAULTS = Object.freeze({ schemaVersion: 1 });

/** The largest snapshot schema version (a 32-bit integer column in SQL stores). */
const MAX_SCHEMA_VERSION = 2_147_483_647;

/**
 * Returns the snapshot schema version of `options` (default 1), checking it is an integer from
 * 1 to 2^31 - 1.
 *
 * @throws ValidationError when `schemaVersion` is out of range.
 */
export function snapshotSchemaVersion(options: Pick<SnapshotOptions, 'schemaVersion'> | undefined): number {
  const version = options?.schemaVersion ?? SNAPSHOT_DEFAULTS.schemaVersion;
  assertOptions('snapshot', {
    schemaVersion: optionInteger(version, { min: 1, max: MAX_SCHEMA_VERSION }),
  });
  return version;
}

/**
 * Checks snapshot options at construction (of a repository or command handler): a
 * `SnapshotStore` (with `load`, `save`, `delete`), a `policy` function, the schema version, and
 * `clock`/`onError` when given.
 *
 * @throws ValidationError listing every problem.
 */
export function checkSnapshotOptions(options: SnapshotOptions<never> | undefined): void {
  if (options === undefined) return;
  assertOptions('snapshot', {
    store: optionObject(options.store, 'a SnapshotStore', ['load', 'save', 'delete'], true),
    policy: optionFunction(options.policy, true),
    clock: optionClock(options.clock, ['now']),
    onError: optionFunction(options.onError),
  });
  snapshotSchemaVersion(options);
}

/** Options for loading and saving snapshots of a stream's state. */
export interface SnapshotOptions<TState = unknown> {
  /** Where snapshots are kept. */
  store: SnapshotStore;
  /** When to take one. */
  policy: SnapshotPolicy<TState>;
  /**
   * The version of the snapshot's shape; bump it when the state's shape changes and old
   * snapshots will be ignored and rebuilt.
   * @default 1
   */
  schemaVersion?: number | undefined;
  /** The source of `takenAt`. @default systemClock */
  clock?: Clock | undefined;
  /** Called when saving a snapshot fails (the append already succeeded). @default ignore */
  onError?: ((error: unknown, streamName: string) => void) | undefined;
}
