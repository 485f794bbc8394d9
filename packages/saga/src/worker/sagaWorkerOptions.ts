import type { Clock, Logger } from '@keel/core';
import {
  assertOptions,
  noopLogger,
  optionClock,
  optionInteger,
  optionLogger,
  optionNumber,
  optionObject,
  optionString,
  systemClock,
  withDefaults,
} from '@keel/core';
/** The longest interval a timer takes, in ms (about 24.8 days). */
const MAX_INTERVAL_MS = 2_147_483_647;

/**
 * Options of a {@link SagaWorker}. An option left out or set to `undefined` takes its default;
 * a bad value is refused at construction with one `ValidationError` listing them all.
 */
export interface SagaWorkerOptions {
  /** The worker's name in a host's health report. @default 'saga-worker' */
  name?: string | undefined;
  /**
   * How often (ms, > 0) the worker looks for unfinished sagas whose lease is free or expired
   * (their orchestrator crashed or stopped) and resumes them. `wake()` looks at once.
   * @default 5_000
   */
  recoverEveryMs?: number | undefined;
  /**
   * How many recovery passes may run at once (an integer >= 1). A pass runs the sagas it
   * claimed to their end, so a slow saga keeps its pass busy; later looks start new passes,
   * up to this many, and are skipped while all are busy.
   * @default 4
   */
  maxPasses?: number | undefined;
  /** Source of time and timers; give the orchestrator's. @default systemClock */
  clock?: Clock | undefined;
  /** Where failed passes are logged. @default noopLogger */
  logger?: Logger | undefined;
}

/** The defaults of {@link SagaWorkerOptions} (besides `clock` and `logger`). */
export const SAGA_WORKER_DEFAULTS = Object.freeze({
  name: 'saga-worker',
  recoverEveryMs: 5_000,
  maxPasses: 4,
});

/** {@link SagaWorkerOptions} with every default filled in. */
export interface ResolvedSagaWorkerOptions {
  readonly name: string;
  readonly recoverEveryMs: number;
  readonly maxPasses: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Checks the orchestrator and merges `options` with the defaults (`undefined` keeps one).
 * @throws {ValidationError} listing every problem.
 */
export function resolveSagaWorkerOptions(
  orchestrator: unknown,
  options: SagaWorkerOptions | undefined,
): ResolvedSagaWorkerOptions {
  const merged = withDefaults({ ...SAGA_WORKER_DEFAULTS, clock: systemClock, logger: noopLogger }, options);
  assertOptions('SagaWorker', {
    orchestrator: optionObject(orchestrator, 'a SagaOrchestrator', ['recover', 'start', 'close'], true),
    name: optionString(merged.name),
    recoverEveryMs: optionNumber(merged.recoverEveryMs, { min: 0, exclusiveMin: true, max: MAX_INTERVAL_MS }),
    maxPasses: optionInteger(merged.maxPasses, { min: 1 }),
    clock: optionClock(merged.clock, ['now', 'setTimeout']),
    logger: optionLogger(merged.logger, { uses: ['debug', 'warn', 'error'] }),
  });
  return Object.freeze(merged);
}
