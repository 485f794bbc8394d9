import { throwIfAborted } from '@keel/core';
import type { SignalOptions } from '../eventStore/eventStore.js';

/**
 * Where projection runners remember the last global position they handled. A SQL store keeps
 * it in the same database as the read model, ideally written in the handler's transaction.
 * `checkpointStoreContract` checks implementations.
 */
export interface CheckpointStore {
  /** The last position handled by `name`, or `undefined` when it never ran. */
  load(name: string, options?: SignalOptions): Promise<number | undefined>;
  /** Records that `name` handled everything up to `position`. */
  save(name: string, position: number, options?: SignalOptions): Promise<void>;
  /** Forgets `name`'s checkpoint (for a rebuild from zero). */
  delete(name: string, options?: SignalOptions): Promise<void>;
}

/**
 * A {@link CheckpointStore} in memory.
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
    return this.#positions.get(name);
  }

  async save(name: string, position: number, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    this.#positions.set(name, position);
  }

  async delete(name: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    this.#positions.delete(name);
  }
}
