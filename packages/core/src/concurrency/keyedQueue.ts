import { signalRefusal } from '../errors/abort.js';
import { NEVER_ABORTED } from './signals.js';
import { abortableTurn, startTask } from './serialTurn.js';

/** The tail of a key whose task is starting synchronously right now, before it has a promise. */
const STARTING: Promise<unknown> = Promise.resolve();

/** A promise for callers queued from inside a starting task, opened once that task settles. */
interface Gate {
  readonly promise: Promise<void>;
  readonly open: () => void;
}

/**
 * Runs tasks one after another per key, in the order `run` was called, and concurrently across
 * keys: two updates of one key never overlap or land out of order. Keys with nothing queued or
 * running hold no memory.
 *
 * A task of an idle key starts synchronously inside `run`, with no extra `await`; a call made
 * from inside it for the same key still waits for it. A task that throws synchronously rejects
 * its own promise, like a rejection would, and the queue goes on.
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
  /** Per busy key, a promise that settles (never rejects) once its last queued task has. */
  readonly #tails = new Map<TKey, Promise<unknown>>();
  readonly #gates = new Map<TKey, Gate>();

  /**
   * Runs `task` once every task queued earlier under `key` has settled.
   *
   * @param key - Tasks of the same key run one at a time.
   * @param task - Its result or rejection (a synchronous throw included) settles the returned promise.
   * @param signal - Stops the wait: when it aborts before the task's turn, the promise rejects at
   *   once with the abort reason and the task never runs; later tasks keep their order. Once the
   *   task has started, it runs to the end (pass the signal into the task to stop it). A value
   *   that is not an `AbortSignal` rejects the promise with a `ValidationError` and queues nothing.
   * @returns The task's outcome.
   */
  run<T>(key: TKey, task: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (signal !== undefined) {
      // Checked before anything is queued: a bad signal rejects once and leaves no trace.
      const refusal = signalRefusal(signal);
      if (refusal !== undefined) return Promise.reject(refusal);
    }
    let previous = this.#tails.get(key);
    if (previous === undefined) return this.#startNow(key, task);
    if (previous === STARTING) previous = this.#gate(key);
    let result: Promise<T>;
    let done: Promise<unknown>;
    if (signal === undefined || signal === NEVER_ABORTED) done = result = previous.then(task);
    else ({ result, done } = abortableTurn(previous, task, signal));
    this.#follow(key, done);
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

  #startNow<T>(key: TKey, task: () => T | PromiseLike<T>): Promise<T> {
    this.#tails.set(key, STARTING);
    const result = startTask(task);
    const gate = this.#gates.get(key);
    if (gate === undefined) {
      this.#follow(key, result);
    } else {
      // Calls made from inside the task already hold the key's tail: they wait on the gate.
      this.#gates.delete(key);
      result.then(gate.open, gate.open);
    }
    return result;
  }

  /**
   * Makes `done` the key's tail, dropped once it settles unless a later task took its place. The
   * tail is the reaction that drops it (it never rejects): one promise per task, not two.
   */
  #follow(key: TKey, done: Promise<unknown>): void {
    const tails = this.#tails;
    const settle = (): void => {
      if (tails.get(key) === tail) tails.delete(key);
    };
    const tail: Promise<unknown> = done.then(settle, settle);
    tails.set(key, tail);
  }

  #gate(key: TKey): Promise<void> {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.#gates.set(key, { promise, open });
    return promise;
  }
}
