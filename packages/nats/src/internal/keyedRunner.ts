/**
 * Runs tasks with at most `limit` at once, tasks of one key strictly one after another in the
 * order they were admitted. `admit` waits for a free slot, which gives the caller back-pressure.
 */
export class KeyedRunner {
  readonly #limit: number;
  readonly #tails = new Map<string, Promise<void>>();
  readonly #running = new Set<Promise<void>>();
  readonly #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Tasks admitted and not finished yet. */
  get size(): number {
    return this.#running.size;
  }

  /**
   * Waits for a free slot, then schedules `task` after the earlier tasks of `key`. Resolves once
   * admitted (not when the task ends). A task's rejection is swallowed: tasks handle their errors.
   */
  async admit(key: string, task: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.#limit)
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const run = previous.then(task).catch(() => undefined);
    this.#tails.set(key, run);
    this.#running.add(run);
    void run.finally(() => {
      this.#running.delete(run);
      if (this.#tails.get(key) === run) this.#tails.delete(key);
      this.#waiters.shift()?.();
    });
  }

  /** Resolves when every admitted task has finished. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }
}
