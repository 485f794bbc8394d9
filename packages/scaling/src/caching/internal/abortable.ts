import { abortReason } from '@keel/core';

/**
 * Waits for `promise`, or rejects with the signal's reason as soon as it aborts, removing the
 * abort listener whichever way the wait ends. The promise itself keeps running.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A signal that never aborts, handed to callbacks when the caller gave none. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
