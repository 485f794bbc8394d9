/**
 * Runs tasks with at most `limit` at once, tasks of one key strictly one after another in the
 * order they were admitted. `admit` never waits: a task waits for the earlier tasks of its key,
 * then for a free slot; callers bound how many tasks they admit with `below`.
 */
export class KeyedRunner {
  readonly #limit: number;
  readonly #tails = new Map<string, Promise<void>>();
  readonly #admitted = new Set<Promise<void>>();
  readonly #slotWaiters: (() => void)[] = [];
  readonly #finishWaiters: (() => void)[] = [];
  #active = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Tasks admitted and not finished yet (waiting or running). */
  get size(): number {
    return this.#admitted.size;
  }

  /**
   * Schedules `task` after the earlier tasks of `key`; it starts once a slot is free. A task's
   * rejection is swallowed: tasks handle their errors.
   */
  admit(key: string, task: () => Promise<void>): void {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const run = previous
      .then(() => this.#acquire())
      .then(async () => {
        try {
          await task();
        } finally {
          this.#release();
        }
      })
      .catch(() => undefined);
    this.#tails.set(key, run);
    this.#admitted.add(run);
    void run.finally(() => {
      this.#admitted.delete(run);
      if (this.#tails.get(key) === run) this.#tails.delete(key);
      for (const wake of this.#finishWaiters.splice(0)) wake();
    });
  }

  /** Resolves once fewer than `max` admitted tasks are unfinished. */
  async below(max: number): Promise<void> {
    while (this.#admitted.size >= max)
      await new Promise<void>((resolve) => this.#finishWaiters.push(resolve));
  }

  /** Resolves when every admitted task has finished. */
  async idle(): Promise<void> {
    while (this.#admitted.size > 0) await Promise.allSettled([...this.#admitted]);
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.#limit) {
      this.#active++;
      return;
    }
    // #release hands its slot straight to the first waiter, so #active stays counted.
    await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
  }

  #release(): void {
    const next = this.#slotWaiters.shift();
    if (next === undefined) this.#active--;
    else next();
  }
}
