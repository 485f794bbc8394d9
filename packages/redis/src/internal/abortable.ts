import { abortReason, throwIfAborted } from '@keel/core';

/**
 * Waits for `work` (already started) unless `signal` aborts first, then rejects with the
 * signal's reason. A command already sent to Redis cannot be recalled: aborting only stops
 * the wait. The abort listener is removed once the race settles.
 */
export async function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  throwIfAborted(signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}
