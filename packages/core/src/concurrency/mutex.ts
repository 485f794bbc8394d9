import { KeyedQueue } from './keyedQueue.js';

/**
 * A first-in, first-out async lock: `run` executes tasks one at a time, in call order. The
 * single-key form of {@link KeyedQueue}, with the same rules: a task of an idle mutex starts
 * synchronously inside `run`; a synchronous throw rejects that task's promise and the next task
 * still runs; a signal stops only the wait.
 *
 * @example
 * ```ts
 * const mutex = new Mutex();
 * const version = await mutex.run(() => append(events), signal);
 * ```
 */
export class Mutex {
  readonly #queue = new KeyedQueue<undefined>();

  /**
   * Runs `task` once every earlier task has settled.
   *
   * @param task - Its result or rejection (a synchronous throw included) settles the returned promise.
   * @param signal - When it aborts before the task's turn, the promise rejects at once with the
   *   abort reason and the task never runs; once started, the task runs to the end. A value that
   *   is not an `AbortSignal` rejects the promise with a `ValidationError` and queues nothing.
   * @returns The task's outcome.
   */
  run<T>(task: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    return this.#queue.run(undefined, task, signal);
  }

  /** Whether a task is running or queued. */
  get locked(): boolean {
    return this.#queue.size > 0;
  }
}
