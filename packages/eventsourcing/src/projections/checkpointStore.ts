import { optionInteger, throwIfAborted } from '@keel/core';
import type { SignalOptions } from '../eventStore/eventStore.js';
import { assertValid, textProblem } from '../eventStore/names.js';

/**
 * The longest projection name every checkpoint and dead-letter store accepts, in UTF-16 code
 * units (short enough that any characters fit a SQL index entry).
 */
export const MAX_PROJECTION_NAME_LENGTH = 500;

/**
 * Where projection runners remember the last global position they handled. A SQL store keeps
 * it in the same database as the read model, ideally written in the handler's transaction.
 * `checkpointStoreContract` checks implementations.
 *
 * A checkpoint never moves backwards: a save behind the stored position (a slow or stale
 * worker, a replayed batch) is ignored quietly and the stored position kept. Only `delete`
 * resets it (for a rebuild from zero).
 */
export interface CheckpointStore {
  /** The last position handled by `name`, or `undefined` when it never ran. */
  load(name: string, options?: SignalOptions): Promise<number | undefined>;
  /**
   * Records that `name` handled everything up to `position`. A position behind the stored one
   * is ignored (the call resolves and the stored position stays).
   *
   * @throws ValidationError when the name or position is refused (see {@link checkCheckpoint}).
   */
  save(name: string, position: number, options?: SignalOptions): Promise<void>;
  /** Forgets `name`'s checkpoint (for a rebuild from zero). */
  delete(name: string, options?: SignalOptions): Promise<void>;
}

/**
 * Refuses a projection name no store can keep: not a string, empty, longer than
 * {@link MAX_PROJECTION_NAME_LENGTH}, or holding NUL or a lone surrogate.
 *
 * @throws ValidationError when the name is refused.
 */
export function checkProjectionName(name: unknown): void {
  assertValid('projection name', { name: textProblem(name, { max: MAX_PROJECTION_NAME_LENGTH }) });
}

/**
 * Refuses a checkpoint no store can keep: a name {@link checkProjectionName} refuses, or a
 * position that is not an integer from 0 to 2^53 - 1. Every checkpoint store calls it first in
 * `save`.
 *
 * @throws ValidationError listing every problem.
 */
export function checkCheckpoint(name: unknown, position: unknown): void {
  assertValid('checkpoint', {
    name: textProblem(name, { max: MAX_PROJECTION_NAME_LENGTH }),
    position: optionInteger(position, { min: 0, required: true }),
  });
}

/**
 * A {@link CheckpointStore} in memory, with the rules of every checkpoint store: a save behind
 * the stored position is ignored, `delete` resets.
 *
 * @example
 * ```ts
 * const checkpoints = new InMemoryCheckpointStore();
 * ```
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  readonly #positions = new Map<string, number>();

  async load(name: string, options: SignalOptions = {}): Promise<number | undefined> {
    throwIfAborted(options.signal);
    checkProjectionName(name);
    return this.#positions.get(name);
  }

  async save(name: string, position: number, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkCheckpoint(name, position);
    const stored = this.#positions.get(name);
    if (stored === undefined || stored < position) this.#positions.set(name, position);
  }

  async delete(name: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkProjectionName(name);
    this.#positions.delete(name);
  }
}
