/**
 * Runs tasks one after another per key (in the order `run` was called) and concurrently across
 * keys. Keys with nothing queued hold no memory.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued earlier under `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    let settle!: () => void;
    const tail = new Promise<void>((resolve) => (settle = resolve));
    // Taken before the task starts: a task that runs at once may queue more under its own key.
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    const result = previous === undefined ? start(task) : previous.then(task);
    result.then(settle, settle);
    return result;
  }

  /** How many keys have tasks queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}

/** `task()`, with a synchronous throw turned into a rejection. */
function start<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}
