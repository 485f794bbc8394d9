import { assertOptions, optionNumber } from '@keel/core';
import type { Clock, WorkerStopOptions } from '@keel/core';

/** The default of {@link WorkerStopOptions.deadline}, in ms. */
export const DEFAULT_STOP_DEADLINE_MS = 10_000;

/**
 * Waits `ms` on the clock, or less when `signal` aborts.
 * @returns `false` when `signal` aborted the wait.
 */
export async function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await clock.sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}

/** A stop deadline: `expired` resolves when it passes; `cancel()` clears its timer. */
export interface Deadline {
  readonly expired: Promise<void>;
  cancel(): void;
}

/**
 * Starts the deadline of a `stop()` call.
 * @throws {ValidationError} when `deadline` is not a number >= 0 (Infinity waits for ever).
 */
export function stopDeadline(worker: string, clock: Clock, options: WorkerStopOptions = {}): Deadline {
  const deadline = options.deadline ?? DEFAULT_STOP_DEADLINE_MS;
  assertOptions(`${worker} stop`, { deadline: optionNumber(deadline, { min: 0, infinity: true }) });
  const controller = new AbortController();
  const expired =
    deadline === Infinity
      ? new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()))
      : clock.sleep(deadline, controller.signal).catch(() => undefined);
  return { expired, cancel: () => controller.abort() };
}

/** Text of an unknown error for health reports, with the messages of its causes. */
export function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  const messages: string[] = [];
  for (let current: unknown = error; current !== undefined && messages.length < 4;) {
    messages.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages.join(' Caused by: ');
}
