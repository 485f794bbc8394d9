import { assertOptions, optionNumber } from '../options/options.js';
import type { WorkerStopOptions } from './worker.js';

/** The default of {@link WorkerStopOptions.deadline}, in ms. */
export const DEFAULT_STOP_DEADLINE_MS = 10_000;

/**
 * The stop deadline a caller asked for: `deadline` in ms (>= 0, or `Infinity` to wait for
 * in-flight work however long it takes), {@link DEFAULT_STOP_DEADLINE_MS} when it is left out or
 * `undefined`. Every `Worker.stop` checks its options with it, so all workers agree.
 *
 * @param options What the caller passed to `stop`.
 * @param fallback The deadline when none is given. @default DEFAULT_STOP_DEADLINE_MS
 * @throws {ValidationError} when `deadline` is negative, NaN or not a number.
 */
export function stopDeadlineOf(
  options: WorkerStopOptions | undefined,
  fallback: number = DEFAULT_STOP_DEADLINE_MS,
): number {
  const deadline = options?.deadline ?? fallback;
  assertOptions('Worker.stop', { deadline: optionNumber(deadline, { min: 0, infinity: true }) });
  return deadline;
}
