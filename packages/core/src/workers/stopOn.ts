import { disposer } from '../listeners/emitter.js';
import type { Disposer } from '../listeners/emitter.js';
import type { Logger } from '../logger/logger.js';
import {
  assertOptions,
  optionBoolean,
  optionFunction,
  optionNumber,
  optionObject,
  optionRule,
} from '../options/options.js';
import { logSafely } from './logSafely.js';
import type { WorkerStopOptions } from './worker.js';

/** The part of Node's `process` that {@link WorkerHost.stopOn} uses; inject a fake in tests. */
export interface SignalSource {
  once(signal: string, listener: (signal: string) => void): unknown;
  removeListener(signal: string, listener: (signal: string) => void): unknown;
  /** Needed only with `exit: true`. */
  exit?(code?: number): unknown;
}

/** Options of {@link WorkerHost.stopOn}. */
export interface StopOnOptions {
  /** Where the signals come from. @default globalThis.process */
  process?: SignalSource | undefined;
  /** The stop deadline in ms (>= 0 or `Infinity`). @default the host's `stopDeadlineMs` */
  deadline?: number | undefined;
  /**
   * Whether to end the process once the stop is over: `exit(0)` after a clean stop, `exit(1)`
   * when a worker failed to stop. Leave it off when other resources (an HTTP server) must close
   * first: the process then ends by itself once nothing keeps it alive.
   * @default false
   */
  exit?: boolean | undefined;
  /**
   * Runs after the workers stopped (cleanly or not) and before `exit`: close the HTTP server
   * and the database here. `error` is why the stop was not clean, if it was not. A rejection
   * is logged and makes the exit code 1.
   * @default none
   */
  onStopped?: ((error: unknown) => void | Promise<void>) | undefined;
}

/** The signals {@link WorkerHost.stopOn} listens to by default. */
export const DEFAULT_STOP_SIGNALS: readonly string[] = Object.freeze(['SIGTERM', 'SIGINT']);

/**
 * Listens once to each of `signals` and stops the host on the first one. Each listener is
 * registered with `once`, so a second identical signal (a second Ctrl-C) meets the platform's
 * default handling and ends the process at once.
 * @throws {ValidationError} on bad signals or options.
 */
export function stopOnSignals(
  stop: (options: WorkerStopOptions) => Promise<void>,
  logger: Logger,
  signals: readonly string[] | undefined,
  options: StopOnOptions | undefined,
): Disposer {
  const names = signals ?? DEFAULT_STOP_SIGNALS;
  const target = options?.process ?? (globalThis as { process?: SignalSource }).process;
  const exit = options?.exit ?? false;
  assertOptions('WorkerHost.stopOn', {
    signals: optionRule(
      Array.isArray(names) &&
        names.length > 0 &&
        names.every((name) => typeof name === 'string' && name !== ''),
      'must be a non-empty array of signal names such as "SIGTERM".',
    ),
    process: optionObject(
      target,
      'a process-like object',
      exit ? ['once', 'removeListener', 'exit'] : ['once', 'removeListener'],
      true,
    ),
    deadline: optionNumber(options?.deadline, { min: 0, infinity: true }),
    exit: optionBoolean(options?.exit),
    onStopped: optionFunction(options?.onStopped),
  });
  const source = target!;
  const onSignal = (signal: string): void => {
    logSafely(logger, 'info', `Received ${signal}; stopping the workers.`, { signal });
    void stopThenCleanUp(stop, options?.deadline, options?.onStopped, logger, signal).then((clean) => {
      if (exit) source.exit?.(clean ? 0 : 1);
    });
  };
  for (const name of names) source.once(name, onSignal);
  return disposer(() => {
    for (const name of names) source.removeListener(name, onSignal);
  });
}

/** Stops the workers, then runs `onStopped`; resolves whether both went cleanly. Never rejects. */
async function stopThenCleanUp(
  stop: (options: WorkerStopOptions) => Promise<void>,
  deadline: number | undefined,
  onStopped: StopOnOptions['onStopped'],
  logger: Logger,
  signal: string,
): Promise<boolean> {
  let clean = true;
  let failure: unknown;
  try {
    await stop({ deadline });
  } catch (error) {
    clean = false;
    failure = error;
  }
  // Logged outside the try: a logger that throws must not turn a clean stop into a failed one.
  if (clean) logSafely(logger, 'info', 'Workers stopped.', { signal });
  else logSafely(logger, 'error', 'Workers did not stop cleanly.', { signal, error: failure });
  if (onStopped === undefined) return clean;
  try {
    await onStopped(failure);
    return clean;
  } catch (error) {
    logSafely(logger, 'error', 'The clean-up after stopping the workers failed.', { signal, error });
    return false;
  }
}
