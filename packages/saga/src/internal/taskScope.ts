import { raceAbort } from '@keel/core';
import { SharedTask } from './sharedTask.js';

/**
 * The work of one owner (an orchestrator): shared tasks that its shutdown aborts, and every
 * promise still going on (runs, step calls, lease releases), which `close()` waits for.
 */
export class TaskScope {
  readonly #closing = new AbortController();
  readonly #pending = new Set<Promise<void>>();

  /** Aborted by {@link close}. */
  get signal(): AbortSignal {
    return this.#closing.signal;
  }

  /** Remembers `work` until it settles, so {@link close} waits for it; never rejects. */
  track(work: Promise<unknown>): void {
    const quiet = work.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(quiet);
    void quiet.then(() => this.#pending.delete(quiet));
  }

  /** Starts `work` as a task aborted by {@link close}, and tracks it. */
  task<TResult>(work: (signal: AbortSignal) => Promise<TResult>): SharedTask<TResult> {
    const task = new SharedTask(work, this.#closing.signal);
    this.track(task.settled);
    return task;
  }

  /**
   * The live task of `map` for `key`, or a new one: callers for one key share one piece of
   * work. A task that is stopping (all its callers left) is not joined: the new one waits for it
   * to stop first. A task leaves the map as it settles, so a later call never joins a finished one.
   */
  shared<TResult>(
    map: Map<string, SharedTask<TResult>>,
    key: string,
    work: (signal: AbortSignal) => Promise<TResult>,
  ): SharedTask<TResult> {
    const existing = map.get(key);
    if (existing !== undefined && !existing.stopping) return existing;
    const previous = existing?.settled;
    const task: SharedTask<TResult> = this.task(async (signal) => {
      try {
        if (previous !== undefined) await raceAbort(previous, signal);
        return await work(signal);
      } finally {
        if (map.get(key) === task) map.delete(key);
      }
    });
    map.set(key, task);
    return task;
  }

  /** Aborts every task with `reason` (once) and waits until everything tracked has settled. */
  async close(reason: unknown): Promise<void> {
    if (!this.#closing.signal.aborted) this.#closing.abort(reason);
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
