import type { Clock } from '../clock/clock.js';

/**
 * Waits up to `deadlineMs` for `work` to settle (resolve or reject) and says whether it did.
 * When the deadline passes first, calls `onDeadline` (typically: abort the work's signal) and
 * returns `false` at once; await `work` afterwards to let the aborted work unwind. Never rejects,
 * and clears its timer whichever way the wait ends. This is the shared "let in-flight work
 * finish, then abort it" step of every worker's `stop({ deadline })`.
 *
 * @param work The in-flight work.
 * @param deadlineMs How long to wait, in ms (`Infinity`: until it settles; `0`: not at all).
 * @param clock The clock whose timer measures the deadline.
 * @param onDeadline Called once, when the deadline passes before `work` settles.
 * @returns `true` when `work` settled within the deadline.
 * @example
 * ```ts
 * if (!(await settleWithin(inFlight, deadline, clock, () => controller.abort(reason)))) await inFlight;
 * ```
 */
export function settleWithin(
  work: Promise<unknown>,
  deadlineMs: number,
  clock: Pick<Clock, 'setTimeout'>,
  onDeadline?: () => void,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (inTime: boolean): void => {
      if (done) return;
      done = true;
      timer?.cancel();
      if (!inTime) onDeadline?.();
      resolve(inTime);
    };
    const timer =
      Number.isFinite(deadlineMs) && deadlineMs > 0
        ? clock.setTimeout(() => finish(false), deadlineMs)
        : undefined;
    work.then(
      () => finish(true),
      () => finish(true),
    );
    // No time at all: work that has already settled still counts (its reaction is queued first).
    if (deadlineMs <= 0) queueMicrotask(() => finish(false));
  });
}
