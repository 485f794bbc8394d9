import { abortReason } from '../errors/abort.js';
import { NEVER_ABORTED } from './signals.js';
import { abortableTurn, startTask } from './serialTurn.js';

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
  #tail: Promise<void> | undefined;

  /**
   * Runs `task` once every earlier task has settled.
   *
   * @param task - Its result or rejection (a synchronous throw included) settles the returned promise.
   * @param signal - When it aborts before the task's turn, the promise rejects at once with the
   *   abort reason and the task never runs; once started, the task runs to the end.
   * @returns The task's outcome.
   */
  run<T>(task: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const previous = this.#tail;
    let result: Promise<T>;
    let done: Promise<unknown>;
    if (previous === undefined) done = result = startTask(task);
    else if (signal === undefined || signal === NEVER_ABORTED) done = result = previous.then(task);
    else ({ result, done } = abortableTurn(previous, task, signal));
    const release = (): void => {
      if (this.#tail === tail) this.#tail = undefined;
    };
    const tail = done.then(release, release);
    this.#tail = tail;
    return result;
  }

  /** Whether a task is running or queued. */
  get locked(): boolean {
    return this.#tail !== undefined;
  }
}
