import { abortReason } from '../errors/abort.js';
import { whenAborted } from '../errors/whenAborted.js';

/** Runs `task` now; a synchronous throw becomes a rejection, like one thrown after an `await`. */
export function startTask<T>(task: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(task());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/**
 * Runs `task` once `previous` (which never rejects) settles, unless `signal` aborts first: then
 * the caller is let go at once with the abort reason and the task never runs, while the tasks
 * behind it still wait for `previous`, so the order is kept.
 */
export function abortableTurn<T>(
  previous: Promise<unknown>,
  task: () => T | PromiseLike<T>,
  signal: AbortSignal,
): { readonly result: Promise<T>; readonly done: Promise<unknown> } {
  let done!: Promise<unknown>;
  const result = new Promise<T>((resolve, reject) => {
    let abandoned = false;
    const stop = whenAborted(signal, () => {
      abandoned = true;
      reject(abortReason(signal));
    });
    done = previous.then(() => {
      stop();
      if (abandoned) return undefined;
      const running = startTask(task);
      running.then(resolve, reject);
      return running;
    });
  });
  return { result, done };
}
