import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import type { Logger } from '../logger/logger.js';
import { noopLogger } from '../logger/logger.js';
import {
  assertOptions,
  optionBoolean,
  optionFunction,
  optionInteger,
  optionNumber,
  optionClock,
  optionLogger,
  optionRule,
  optionString,
  withDefaults,
} from '../options/options.js';

/**
 * Options of {@link createIntervalWorker}. An option left out or set to `undefined` takes its
 * default; a bad value is refused at construction with one `ValidationError` listing them all.
 */
export interface IntervalWorkerOptions {
  /** The worker's name, unique within one host (a non-empty string). Required. */
  name: string;
  /** How long to wait after a successful run before the next one (ms, > 0). @default 1_000 */
  intervalMs?: number | undefined;
  /** Whether the first run starts at once on `start()`, rather than after `intervalMs`. @default true */
  runOnStart?: boolean | undefined;
  /**
   * The wait after a failed run (ms, >= 0), doubling with each consecutive failure up to
   * `backoffMaxMs`, so a worker does not hammer a database that is down.
   * @default 1_000
   */
  backoffMs?: number | undefined;
  /** The longest wait after failures (ms, >= `backoffMs`). @default 60_000 */
  backoffMaxMs?: number | undefined;
  /**
   * After this many consecutive failed runs the worker gives up: its status becomes `failed`
   * and it reports unhealthy, so a liveness probe restarts the process (an integer >= 1, or
   * `Infinity` to retry for ever).
   * @default Infinity
   */
  failAfter?: number | undefined;
  /**
   * A run that has lasted longer than this (ms, > 0) makes the worker report unhealthy: a
   * stuck call (a query without a timeout) is what a liveness probe should catch.
   * `Infinity` turns the check off.
   * @default Infinity
   */
  stallAfterMs?: number | undefined;
  /** Extra figures for `health().details` (queue depth, owned partitions …); must be cheap. */
  details?: (() => Readonly<Record<string, unknown>>) | undefined;
  /** Source of time and timers. @default systemClock */
  clock?: Clock | undefined;
  /**
   * Where failed runs are logged (`warn`) and a give-up (`error`). What the logger throws is
   * ignored: logging never stops the worker.
   * @default noopLogger
   */
  logger?: Logger | undefined;
}

/** The defaults of {@link IntervalWorkerOptions}. */
export const INTERVAL_WORKER_DEFAULTS = Object.freeze({
  intervalMs: 1_000,
  runOnStart: true,
  backoffMs: 1_000,
  backoffMaxMs: 60_000,
  failAfter: Infinity,
  stallAfterMs: Infinity,
});

/** {@link IntervalWorkerOptions} with every default filled in. */
export interface ResolvedIntervalWorkerOptions {
  readonly name: string;
  readonly intervalMs: number;
  readonly runOnStart: boolean;
  readonly backoffMs: number;
  readonly backoffMaxMs: number;
  readonly failAfter: number;
  readonly stallAfterMs: number;
  readonly details: (() => Readonly<Record<string, unknown>>) | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The longest wait a timer accepts, in ms (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

const positiveMs = { min: 0, exclusiveMin: true, max: MAX_TIMER_MS } as const;

/**
 * Checks the task and merges `options` with the defaults (`undefined` keeps a default) and checks every value.
 * @throws {ValidationError} listing every option that is missing, out of range or of the wrong kind.
 */
export function resolveIntervalWorkerOptions(
  options: IntervalWorkerOptions | undefined,
  task: unknown,
): ResolvedIntervalWorkerOptions {
  const merged = withDefaults(
    { ...INTERVAL_WORKER_DEFAULTS, clock: systemClock, logger: noopLogger },
    options,
  );
  assertOptions('createIntervalWorker', {
    task: optionFunction(task, true),
    name: optionString(options?.name, true),
    intervalMs: optionNumber(merged.intervalMs, positiveMs),
    runOnStart: optionBoolean(merged.runOnStart),
    backoffMs: optionNumber(merged.backoffMs, { min: 0, max: MAX_TIMER_MS }),
    backoffMaxMs:
      optionNumber(merged.backoffMaxMs, { min: 0, max: MAX_TIMER_MS }) ??
      optionRule(
        !(merged.backoffMaxMs < merged.backoffMs),
        `must be >= backoffMs (got ${merged.backoffMaxMs} < ${merged.backoffMs}).`,
      ),
    failAfter: optionInteger(merged.failAfter, { min: 1, infinity: true }),
    stallAfterMs: optionNumber(merged.stallAfterMs, { ...positiveMs, max: Number.MAX_VALUE, infinity: true }),
    details: optionFunction(options?.details),
    clock: optionClock(merged.clock, ['now', 'setTimeout']),
    logger: optionLogger(merged.logger, { uses: ['debug', 'warn', 'error'] }),
  });
  return Object.freeze({ ...merged, name: options!.name, details: options?.details });
}
