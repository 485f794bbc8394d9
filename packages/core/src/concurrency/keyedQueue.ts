import { abortReason } from '../errors/abort.js';
import { NEVER_ABORTED } from './signals.js';
import { abortableTurn, startTask } from './serialTurn.js';

/**
 * Runs tasks one after another per key, in the order `run` was called, and concurrently across
 * keys: two updates of one key never overlap or land out of order. Keys with nothing queued or
 * running hold no memory.
 *
 * A task of an idle key starts synchronously inside `run`, with no extra `await`. A task that
 * throws synchronously rejects its own promise, like a rejection would, and the queue goes on.
 *
 * @typeParam TKey - The key type; compared as `Map` keys are.
 *
 * @example
 * ```ts
 * const queue = new KeyedQueue();
 * await queue.run('account-42', () => applyDeposit(42, 10), request.signal);
 * ```
 */
export class KeyedQueue<TKey = string> {
  readonly #tails = new Map<TKey, Promise<void>>();

  /**
   * Runs `task` once every task queued earlier under `key` has settled.
   *
   * @param key - Tasks of the same key run one at a time.
   * @param task - Its result or rejection (a synchronous throw included) settles the returned promise.
   * @param signal - Stops the wait: when it aborts before the task's turn, the promise rejects at
   *   once with the abort reason and the task never runs; later tasks keep their order. Once the
   *   task has started, it runs to the end (pass the signal into the task to stop it).
   * @returns The task's outcome.
   */
  run<T>(key: TKey, task: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const previous = this.#tails.get(key);
    let result: Promise<T>;
    let done: Promise<unknown>;
    if (previous === undefined) done = result = startTask(task);
    else if (signal === undefined || signal === NEVER_ABORTED) done = result = previous.then(task);
    else ({ result, done } = abortableTurn(previous, task, signal));
    const release = (): void => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    const tail = done.then(release, release);
    this.#tails.set(key, tail);
    return result;
  }

  /** How many keys have a task running or queued. */
  get size(): number {
    return this.#tails.size;
  }

  /** Whether `key` has a task running or queued. */
  has(key: TKey): boolean {
    return this.#tails.has(key);
  }
}
