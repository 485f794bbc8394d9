import { ConcurrencyError } from '@keel/core';
import type { ProcessInstance, ProcessStore } from './processStore.js';

const keyOf = (processName: string, correlationId: string): string => `${processName}\u0000${correlationId}`;

/**
 * A {@link ProcessStore} in memory, for tests and prototypes. Instances are deep-copied in and
 * out, and each call yields once so concurrent callers interleave.
 */
export class InMemoryProcessStore implements ProcessStore {
  readonly #instances = new Map<string, ProcessInstance>();

  async load(processName: string, correlationId: string): Promise<ProcessInstance | undefined> {
    await Promise.resolve();
    const instance = this.#instances.get(keyOf(processName, correlationId));
    return instance === undefined ? undefined : structuredClone(instance);
  }

  async save(instance: ProcessInstance, expectedVersion: number): Promise<ProcessInstance> {
    await Promise.resolve();
    const key = keyOf(instance.processName, instance.correlationId);
    const actual = this.#instances.get(key)?.version ?? 0;
    if (actual !== expectedVersion) {
      const subject = `process ${instance.processName}/${instance.correlationId}`;
      throw new ConcurrencyError({ subject, expected: expectedVersion, actual });
    }
    const stored = structuredClone({ ...instance, version: expectedVersion + 1 });
    this.#instances.set(key, stored);
    return structuredClone(stored);
  }

  async listWithOutbox(processName: string): Promise<ProcessInstance[]> {
    await Promise.resolve();
    return structuredClone(
      [...this.#instances.values()]
        .filter((instance) => instance.processName === processName && instance.outbox.length > 0)
        .sort((a, b) => a.createdAt - b.createdAt),
    );
  }
}
