/**
 * Waits one turn of the event loop: every promise callback and I/O callback queued so far runs
 * first. It waits for no time (no clock is involved), only for work already queued, so a loop
 * that runs back to back lets timers and other tasks in between its turns; without
 * `setImmediate` (a runtime that lacks it) it resolves at once.
 *
 * @example
 * ```ts
 * while (more) { await step(); await yieldToEventLoop(); }
 * ```
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : resolve()));
}
