/**
 * Runs tasks one at a time per key, in call order, so two updates of the same key can never
 * land out of order; different keys run concurrently. Idle keys hold no memory.
 */
export class KeyedMutex<TKey> {
  readonly #tails = new Map<TKey, Promise<unknown>>();

  /** Runs `task` after every earlier task of `key` has settled; resolves or rejects as it does. */
  run<T>(key: TKey, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous === undefined ? start(task) : previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** How many keys have a task running or queued. */
  get size(): number {
    return this.#tails.size;
  }
}

function start<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
