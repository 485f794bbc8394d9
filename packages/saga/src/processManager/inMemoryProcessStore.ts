import { ConcurrencyError, storableCopy } from '@keel/core';
import type { ProcessInstance, ProcessStore } from './processStore.js';

const keyOf = (processName: string, correlationId: string): string => `${processName}\u0000${correlationId}`;

/**
 * The instance as every store keeps it: state, inbox, pending events and outbox through core's
 * `storableCopy`, with the same descriptions as the PostgreSQL store, so both refuse and change
 * values alike.
 */
function storable(instance: ProcessInstance, version: number): ProcessInstance {
  const what = `process ${instance.processName}/${instance.correlationId}`;
  return {
    ...instance,
    state: storableCopy(instance.state, `the state of ${what}`),
    handled: storableCopy(instance.handled, `the inbox of ${what}`),
    pending: storableCopy(instance.pending, `the pending events of ${what}`),
    outbox: storableCopy(instance.outbox, `the outbox of ${what}`),
    version,
  };
}

/**
 * A {@link ProcessStore} in memory, for tests and prototypes. It accepts, refuses and changes
 * values exactly as the PostgreSQL store does (everything goes through core's `storableCopy` on
 * save: a NUL character, a lone surrogate or a BigInt is refused with a `SerializationError`
 * before anything changes, a `Date` comes back as its ISO string), hands out copies, and each
 * call yields once so concurrent callers interleave.
 */
export class InMemoryProcessStore implements ProcessStore {
  readonly #instances = new Map<string, ProcessInstance>();

  async load(processName: string, correlationId: string): Promise<ProcessInstance | undefined> {
    await Promise.resolve();
    const instance = this.#instances.get(keyOf(processName, correlationId));
    return instance === undefined ? undefined : structuredClone(instance);
  }

  async save(instance: ProcessInstance, expectedVersion: number): Promise<ProcessInstance> {
    const stored = storable(instance, expectedVersion + 1);
    await Promise.resolve();
    const key = keyOf(instance.processName, instance.correlationId);
    const actual = this.#instances.get(key)?.version ?? 0;
    if (actual !== expectedVersion) {
      const subject = `process ${instance.processName}/${instance.correlationId}`;
      throw new ConcurrencyError({ subject, expected: expectedVersion, actual });
    }
    this.#instances.set(key, stored);
    return structuredClone(stored);
  }

  async listWithOutbox(processName: string): Promise<ProcessInstance[]> {
    await Promise.resolve();
    return [...this.#instances.values()]
      .filter((instance) => instance.processName === processName && instance.outbox.length > 0)
      .sort((a, b) => a.createdAt - b.createdAt || (a.correlationId < b.correlationId ? -1 : 1))
      .map((instance) => structuredClone(instance));
  }
}
