import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import { raceAbort, throwIfAborted } from '../errors/abort.js';
import { CancelledError, TimeoutError } from '../errors/errors.js';
import type { Disposer } from '../listeners/emitter.js';
import type { Logger } from '../logger/logger.js';
import { noopLogger } from '../logger/logger.js';
import {
  assertOptions,
  optionClock,
  optionLogger,
  optionNumber,
  optionObject,
  optionRule,
  withDefaults,
} from '../options/options.js';
import type { OptionProblem } from '../options/options.js';
import type { HealthReport } from './healthReport.js';
import { buildHealthReport } from './healthReport.js';
import { MAX_TIMER_MS } from './intervalWorkerOptions.js';
import { logSafely } from './logSafely.js';
import { settleWithin } from './settleWithin.js';
import { DEFAULT_STOP_DEADLINE_MS, stopDeadlineOf } from './stopDeadline.js';
import type { StopOnOptions } from './stopOn.js';
import { stopOnSignals } from './stopOn.js';
import type { Worker, WorkerHealth, WorkerStatus, WorkerStopOptions } from './worker.js';
import type { WorkerFailure } from './workerErrors.js';
import { WorkerStartError, WorkerStopError } from './workerErrors.js';

/** Options of {@link runWorkers}; `undefined` keeps a default. */
export interface WorkerHostOptions {
  /**
   * The deadline (ms, >= 0 or `Infinity`) of a `stop()` called without one, of `stopOn` and
   * `Symbol.asyncDispose`, and of the stop that follows a failed start.
   * @default 10_000
   */
  stopDeadlineMs?: number | undefined;
  /**
   * How long past the deadline (ms, >= 0) the host still waits for a worker whose aborted work
   * has not unwound (it ignores its signal) before `stop()` gives up on it with a `WorkerStopError`.
   * @default 5_000
   */
  stopGraceMs?: number | undefined;
  /** Source of time and timers. @default systemClock */
  clock?: Clock | undefined;
  /**
   * Where start failures and stops are logged. What the logger throws is ignored: logging never
   * stops a start, a stop or a signal handler.
   * @default noopLogger
   */
  logger?: Logger | undefined;
}

/** The defaults of {@link WorkerHostOptions} (besides `clock` and `logger`). */
export const WORKER_HOST_DEFAULTS = Object.freeze({
  stopDeadlineMs: DEFAULT_STOP_DEADLINE_MS,
  stopGraceMs: 5_000,
});

/** The aggregated health of a {@link WorkerHost}. */
export interface WorkerHostHealth {
  /** `starting` until every worker started, then `running`; `failed` when one could not start. */
  readonly status: WorkerStatus;
  /** Every worker is healthy and the host has not failed (liveness). */
  readonly healthy: boolean;
  /** The host runs and every worker is ready (readiness). */
  readonly ready: boolean;
  /** Each worker's own health, in the order given to {@link runWorkers}. */
  readonly workers: readonly WorkerHealth[];
}

/** A running set of workers: one start, one health, one graceful stop. Made by {@link runWorkers}. */
export interface WorkerHost extends AsyncDisposable {
  /** The host's stage: `starting`, `running`, `stopping`, `stopped` or `failed`. */
  readonly status: WorkerStatus;
  /**
   * Resolves once every worker has started.
   * @throws {WorkerStartError} when a worker failed to start (the others are then stopped) or
   *   the host was stopped first; `signal`'s reason when it aborts the wait.
   */
  whenStarted(signal?: AbortSignal): Promise<void>;
  /** Every worker's health and the verdicts over them; cheap, never throws. */
  health(): WorkerHostHealth;
  /** {@link health} as a plain-JSON document for an HTTP health endpoint. */
  healthReport(): HealthReport;
  /** The readiness probe's answer: running and every worker ready. */
  ready(): boolean;
  /** The liveness probe's answer: not failed and every worker healthy. */
  live(): boolean;
  /**
   * Stops every worker in parallel under one shared deadline: they take no new work, in-flight
   * work may finish until `deadline`, then it is aborted. Idempotent: later calls get the same promise.
   * @throws {WorkerStopError} when a worker's stop rejected or did not settle within deadline + `stopGraceMs`.
   * @throws {ValidationError} on a bad `deadline`.
   */
  stop(options?: WorkerStopOptions): Promise<void>;
  /**
   * Stops the host on the first of `signals` and returns a disposer that removes the listeners.
   * @param signals @default ['SIGTERM', 'SIGINT']
   * @throws {ValidationError} on bad signals or options.
   */
  stopOn(signals?: readonly string[], options?: StopOnOptions): Disposer;
}

interface ResolvedHostOptions {
  readonly stopDeadlineMs: number;
  readonly stopGraceMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

function unhealthy(name: string, error: unknown): WorkerHealth {
  const text = error instanceof Error ? error.message : String(error);
  return { name, status: 'failed', healthy: false, ready: false, error: text };
}

class Host implements WorkerHost {
  readonly #workers: readonly Worker[];
  readonly #options: ResolvedHostOptions;
  readonly #startAbort = new AbortController();
  readonly #startFailures = new Map<string, unknown>();
  readonly #started: Promise<void>;
  #status: WorkerStatus = 'starting';
  #stopped: Promise<void> | undefined;

  constructor(workers: readonly Worker[], options: ResolvedHostOptions) {
    this.#workers = [...workers];
    this.#options = options;
    this.#started = this.#startAll();
    // Failures are reported by health() and whenStarted(); never as an unhandled rejection.
    this.#started.catch(() => {});
  }

  get status(): WorkerStatus {
    return this.#status;
  }

  whenStarted(signal?: AbortSignal): Promise<void> {
    return raceAbort(this.#started, signal);
  }

  health(): WorkerHostHealth {
    const workers = this.#workers.map((worker) => {
      const failure = this.#startFailures.get(worker.name);
      if (this.#startFailures.has(worker.name)) return unhealthy(worker.name, failure);
      try {
        return worker.health();
      } catch (error) {
        return unhealthy(worker.name, error);
      }
    });
    return {
      status: this.#status,
      healthy: this.#status !== 'failed' && workers.every((worker) => worker.healthy),
      ready: this.#status === 'running' && workers.every((worker) => worker.ready),
      workers,
    };
  }

  healthReport(): HealthReport {
    const { workers, ready } = this.health();
    const report = buildHealthReport(workers, ready, this.#options.clock.now());
    return this.#status === 'failed' ? { ...report, status: 'fail', healthy: false } : report;
  }

  ready(): boolean {
    return this.health().ready;
  }

  live(): boolean {
    return this.health().healthy;
  }

  stop(options?: WorkerStopOptions): Promise<void> {
    try {
      const deadline = stopDeadlineOf(options, this.#options.stopDeadlineMs);
      this.#stopped ??= this.#stopAll(deadline);
      return this.#stopped;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  stopOn(signals?: readonly string[], options?: StopOnOptions): Disposer {
    return stopOnSignals((stop) => this.stop(stop), this.#options.logger, signals, options);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #startAll(): Promise<void> {
    const signal = this.#startAbort.signal;
    const results = await Promise.allSettled(
      this.#workers.map(async (worker) => {
        throwIfAborted(signal);
        await worker.start(signal);
      }),
    );
    const failures: WorkerFailure[] = [];
    results.forEach((result, index) => {
      if (result.status === 'rejected')
        failures.push({ name: this.#workers[index]!.name, error: result.reason });
    });
    if (this.#stopped !== undefined) {
      throw new WorkerStartError(
        failures,
        'The worker host was stopped before every worker had started; start a new host to run them.',
      );
    }
    if (failures.length === 0) {
      this.#status = 'running';
      return;
    }
    await this.#failStart(failures);
  }

  /** A worker could not start: a service missing a part should not half-run, so stop the rest. */
  async #failStart(failures: readonly WorkerFailure[]): Promise<never> {
    for (const { name, error } of failures) this.#startFailures.set(name, error);
    this.#status = 'failed';
    const error = new WorkerStartError(failures);
    const workers = failures.map((failure) => failure.name);
    logSafely(this.#options.logger, 'error', error.message, { workers, error });
    this.#stopped = this.#stopAll(this.#options.stopDeadlineMs);
    await this.#stopped.catch(() => {});
    throw error;
  }

  async #stopAll(deadline: number): Promise<void> {
    if (this.#status !== 'failed') this.#status = 'stopping';
    this.#startAbort.abort(new CancelledError('The worker host is stopping.'));
    const { clock, stopGraceMs, logger } = this.#options;
    const limit = deadline + stopGraceMs;
    logSafely(logger, 'info', `Stopping ${this.#workers.length} worker(s) within ${deadline} ms.`, {
      deadline,
    });
    const failures: WorkerFailure[] = [];
    await Promise.all(
      this.#workers.map(async (worker) => {
        const stopping = Promise.resolve().then(() => worker.stop({ deadline }));
        if (!(await settleWithin(stopping, limit, clock))) {
          const error = new TimeoutError(limit, { operation: `Stopping worker "${worker.name}"` });
          failures.push({ name: worker.name, error });
          return;
        }
        await stopping.catch((error: unknown) => void failures.push({ name: worker.name, error }));
      }),
    );
    if (this.#status === 'stopping') this.#status = 'stopped';
    if (failures.length > 0) throw new WorkerStopError(failures);
  }
}

/** Checks the workers and merges the options with the defaults, reporting every problem at once. */
function resolveHostOptions(workers: unknown, options: WorkerHostOptions | undefined): ResolvedHostOptions {
  const merged = withDefaults({ ...WORKER_HOST_DEFAULTS, clock: systemClock, logger: noopLogger }, options);
  assertOptions('runWorkers', {
    workers: workersProblem(workers),
    stopDeadlineMs: optionNumber(merged.stopDeadlineMs, { min: 0, infinity: true }),
    stopGraceMs: optionNumber(merged.stopGraceMs, { min: 0, max: MAX_TIMER_MS }),
    clock: optionClock(merged.clock, ['now', 'setTimeout']),
    logger: optionLogger(merged.logger, { uses: ['info', 'error'] }),
  });
  return Object.freeze(merged);
}

function workersProblem(workers: unknown): OptionProblem {
  const list = Array.isArray(workers) ? (workers as unknown[]) : [];
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const bad: number[] = [];
  list.forEach((worker, index) => {
    if (optionObject(worker, 'a Worker', ['start', 'stop', 'health']) !== undefined)
      return void bad.push(index);
    const { name } = worker as Worker;
    if (typeof name !== 'string' || name === '') return void bad.push(index);
    if (seen.has(name)) duplicates.add(name);
    seen.add(name);
  });
  return (
    optionRule(Array.isArray(workers), 'must be an array of workers.') ??
    optionRule(
      bad.length === 0,
      `must all be Workers with a name, start, stop and health (not at index ${bad.join(', ')}).`,
    ) ??
    optionRule(
      duplicates.size === 0,
      `must have unique names (${[...duplicates].map((name) => `"${name}"`).join(', ')} given more than once); health reports are keyed by name.`,
    )
  );
}

/**
 * Starts every worker at once and returns the {@link WorkerHost} that runs them: health and
 * probes over all of them, one graceful `stop()`, and wiring to `SIGTERM`/`SIGINT`. It returns
 * before the workers have started, so a health endpoint can answer "not ready" meanwhile; await
 * `whenStarted()` to know they all run.
 *
 * If any worker fails to start, the host stops the others (a service missing a part should not
 * half-run and hide it), reports `failed` (not live, not ready), and `whenStarted()` rejects with
 * a {@link WorkerStartError}; exit and let the platform restart the process. A worker that fails
 * later reports itself unhealthy, which a liveness probe turns into a restart.
 *
 * @param workers The workers, with unique names.
 * @param options The default stop deadline, the grace past it, clock and logger.
 * @throws {ValidationError} when `workers` is not an array of workers with unique names, or an option is bad.
 * @example
 * ```ts
 * const host = runWorkers([sagaWorker, outboxRelay], { logger });
 * host.stopOn(['SIGTERM', 'SIGINT'], { exit: true });
 * await host.whenStarted();
 * ```
 */
export function runWorkers(workers: readonly Worker[], options?: WorkerHostOptions): WorkerHost {
  return new Host(workers, resolveHostOptions(workers, options));
}
