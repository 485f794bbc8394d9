// Runs checkpointStoreContract under node:test against a store that breaks one rule (a save
// behind the stored position moves the checkpoint back): spawned by
// contractsUnderNodeTest.test.ts to prove the suite's assertions fail a store that breaks it.
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CheckpointStore, SignalOptions } from '@keel/eventsourcing';

const { InMemoryCheckpointStore } = await import('@keel/eventsourcing');
const { checkpointStoreContract } = await import('@keel/eventsourcing/testing');

/** Keeps every rule of the in-memory store but one: the last save wins, even a lower one. */
class RewindingCheckpointStore implements CheckpointStore {
  readonly #inner = new InMemoryCheckpointStore();

  load(name: string, options?: SignalOptions): Promise<number | undefined> {
    return this.#inner.load(name, options);
  }

  async save(name: string, position: number, options?: SignalOptions): Promise<void> {
    // The inner save checks the input and the signal; a lower position then replaces the stored one.
    await this.#inner.save(name, position, options);
    if ((await this.#inner.load(name)) === position) return;
    await this.#inner.delete(name);
    await this.#inner.save(name, position);
  }

  delete(name: string, options?: SignalOptions): Promise<void> {
    return this.#inner.delete(name, options);
  }
}

const runner = { describe, it, beforeEach, afterEach };
checkpointStoreContract('RewindingCheckpointStore', () => new RewindingCheckpointStore(), { runner });
