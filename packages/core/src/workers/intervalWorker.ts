import { yieldToEventLoop } from '../concurrency/yieldToEventLoop.js';
import { CancelledError } from '../errors/errors.js';
import { throwIfAborted } from '../errors/abort.js';
import type { IntervalWorkerOptions, ResolvedIntervalWorkerOptions } from './intervalWorkerOptions.js';
import { resolveIntervalWorkerOptions } from './intervalWorkerOptions.js';
import { logSafely } from './logSafely.js';
import { settleWithin } from './settleWithin.js';
import { stopDeadlineOf } from './stopDeadline.js';
import type { Worker, WorkerHealth, WorkerStatus, WorkerStopOptions } from './worker.js';
import { WorkerStartError } from './workerErrors.js';

/** What one run of an {@link IntervalTask} receives. */
export interface IntervalTaskContext {
  /** Aborted when `stop()`'s deadline passes: give up at once. Pass it to every call that waits. */
  readonly signal: AbortSignal;
  /** Aborted as soon as `stop()` is called: finish what you hold, but take no new work. */
  readonly stopping: AbortSignal;
  /** The number of this run, from 1. */
  readonly run: number;
}

/** What a run may return: `{ more: true }` when work is left (a full batch), to run again at once. */
export type IntervalRunResult = undefined | { readonly more?: boolean | undefined };

/** The work an interval worker repeats. A rejection counts as a failed run (and backs off). */
export type IntervalTask = (
  context: IntervalTaskContext,
) => Promise<IntervalRunResult | void> | IntervalRunResult | void;

/** A {@link Worker} that repeats a task on an interval; made by {@link createIntervalWorker}. */
export interface IntervalWorker extends Worker, AsyncDisposable {
  /**
   * Runs the task now instead of waiting out the interval (or the backoff), or right after the
   * current run when one is in flight. Call it when you learn that work arrived (a
   * notification); the interval stays as the fallback. Does nothing unless running.
   */
  wake(): void;
}

interface RunStats {
  runs: number;
  failures: number;
  consecutiveFailures: number;
  lastError: unknown;
  lastRunAt: number | undefined;
  lastSuccessAt: number | undefined;
  runStartedAt: number | undefined;
  nextRunAt: number | undefined;
}

/** Marks that the loop has not died: `undefined` could be what it died of. */
const NO_ERROR: unique symbol = Symbol('no error');

class IntervalLoop implements IntervalWorker {
  readonly name: string;
  readonly #task: IntervalTask;
  readonly #options: ResolvedIntervalWorkerOptions;
  readonly #stopping = new AbortController();
  readonly #abort = new AbortController();
  readonly #stats: RunStats = {
    runs: 0,
    failures: 0,
    consecutiveFailures: 0,
    lastError: undefined,
    lastRunAt: undefined,
    lastSuccessAt: undefined,
    runStartedAt: undefined,
    nextRunAt: undefined,
  };
  #status: WorkerStatus = 'idle';
  #loop: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #endWait: (() => void) | undefined;
  #wakeRequested = false;
  /** Why the loop itself died (not a run: those are counted in the stats), if it did. */
  #loopError: unknown = NO_ERROR;

  constructor(task: IntervalTask, options: ResolvedIntervalWorkerOptions) {
    this.name = options.name;
    this.#task = task;
    this.#options = options;
  }

  start(signal?: AbortSignal): Promise<void> {
    try {
      throwIfAborted(signal);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#status === 'running') return Promise.resolve();
    if (this.#status !== 'idle') {
      const error = new CancelledError(
        `Worker "${this.name}" is ${this.#status}; create a new one to start again.`,
      );
      return Promise.reject(new WorkerStartError([{ name: this.name, error }], error.message));
    }
    this.#status = 'running';
    // The loop guards its own steps; should it die anyway, the worker says so, never as an
    // unhandled rejection that would crash the process while health still said "running".
    this.#loop = this.#runLoop().catch((error: unknown) => this.#died(error));
    return Promise.resolve();
  }

  wake(): void {
    if (this.#status !== 'running') return;
    this.#wakeRequested = true;
    this.#endWait?.();
  }

  stop(options?: WorkerStopOptions): Promise<void> {
    let deadline: number;
    try {
      deadline = stopDeadlineOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#stopped ??= this.#stop(deadline);
    return this.#stopped;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  health(): WorkerHealth {
    const { runs, failures, consecutiveFailures, lastError, runStartedAt } = this.#stats;
    const now = this.#options.clock.now();
    const stalledFor = runStartedAt === undefined ? 0 : now - runStartedAt;
    const stalled = stalledFor > this.#options.stallAfterMs;
    const error = stalled
      ? `Run ${runs} has been running for ${stalledFor} ms, longer than stallAfterMs (${this.#options.stallAfterMs} ms); it may be stuck.`
      : this.#loopError !== NO_ERROR
        ? `The worker's loop failed: ${errorText(this.#loopError)}`
        : consecutiveFailures > 0
          ? errorText(lastError)
          : undefined;
    return {
      name: this.name,
      status: this.#status,
      healthy: this.#status !== 'failed' && !stalled,
      ready: this.#status === 'running' && consecutiveFailures === 0,
      details: {
        ...this.#figures(),
        runs,
        failures,
        consecutiveFailures,
        running: runStartedAt !== undefined,
      },
      ...(error === undefined ? {} : { error }),
    };
  }

  #figures(): Readonly<Record<string, unknown>> {
    const { lastRunAt, lastSuccessAt, nextRunAt } = this.#stats;
    let extra: Readonly<Record<string, unknown>>;
    try {
      extra = this.#options.details?.() ?? {};
    } catch (error) {
      extra = { detailsError: errorText(error) };
    }
    const times = Object.entries({ lastRunAt, lastSuccessAt, nextRunAt }).filter(
      ([, at]) => at !== undefined,
    );
    return { ...extra, ...Object.fromEntries(times) };
  }

  async #runLoop(): Promise<void> {
    let delay = this.#options.runOnStart ? 0 : this.#options.intervalMs;
    while (!this.#stopping.signal.aborted && this.#status === 'running') {
      if (this.#wakeRequested || delay === 0) await yieldToEventLoop();
      else await this.#wait(delay);
      this.#wakeRequested = false;
      if (this.#stopping.signal.aborted) return;
      delay = await this.#runOnce();
    }
  }

  #wait(ms: number): Promise<void> {
    const { clock } = this.#options;
    this.#stats.nextRunAt = clock.now() + ms;
    return new Promise<void>((resolve) => {
      const end = (): void => {
        timer.cancel();
        this.#endWait = undefined;
        this.#stats.nextRunAt = undefined;
        resolve();
      };
      const timer = clock.setTimeout(end, ms);
      this.#endWait = end;
    });
  }

  /** Runs the task once; returns how long to wait before the next run. */
  async #runOnce(): Promise<number> {
    const { clock, intervalMs } = this.#options;
    const stats = this.#stats;
    const run = ++stats.runs;
    stats.runStartedAt = clock.now();
    try {
      const result = (await this.#task({
        signal: this.#abort.signal,
        stopping: this.#stopping.signal,
        run,
      })) as IntervalRunResult | undefined;
      stats.consecutiveFailures = 0;
      stats.lastSuccessAt = clock.now();
      return result?.more === true ? 0 : intervalMs;
    } catch (error) {
      return this.#failed(run, error);
    } finally {
      stats.runStartedAt = undefined;
      stats.lastRunAt = clock.now();
    }
  }

  #failed(run: number, error: unknown): number {
    const { logger, backoffMs, backoffMaxMs, failAfter } = this.#options;
    if (this.#stopping.signal.aborted) {
      // Work cut short by stop() is not a failure of the worker.
      logSafely(logger, 'debug', `Worker "${this.name}" run ${run} ended while stopping.`, { error });
      return 0;
    }
    const stats = this.#stats;
    stats.failures++;
    const consecutive = ++stats.consecutiveFailures;
    stats.lastError = error;
    if (consecutive >= failAfter) {
      this.#status = 'failed';
      logSafely(
        logger,
        'error',
        `Worker "${this.name}" gave up after ${consecutive} consecutive failed runs (failAfter ${failAfter}); restart the process once the cause is fixed.`,
        { error },
      );
      return 0;
    }
    const delay = backoffMs === 0 ? 0 : Math.min(backoffMaxMs, backoffMs * 2 ** (consecutive - 1));
    logSafely(
      logger,
      'warn',
      `Worker "${this.name}" run ${run} failed (${consecutive} in a row); retrying in ${delay} ms.`,
      { error },
    );
    return delay;
  }

  #died(error: unknown): void {
    this.#stats.runStartedAt = undefined;
    this.#loopError = error;
    if (this.#stopping.signal.aborted) return;
    this.#status = 'failed';
    logSafely(
      this.#options.logger,
      'error',
      `Worker "${this.name}" stopped running: its loop failed (${errorText(error)}); restart the process.`,
      { error },
    );
  }

  async #stop(deadline: number): Promise<void> {
    if (this.#status === 'running' || this.#status === 'idle') this.#status = 'stopping';
    this.#stopping.abort(new CancelledError(`Worker "${this.name}" is stopping.`));
    this.#endWait?.();
    const loop = this.#loop ?? Promise.resolve();
    const abort = (): void =>
      this.#abort.abort(
        new CancelledError(
          `Worker "${this.name}" did not finish its run within the ${deadline} ms stop deadline; it was aborted.`,
        ),
      );
    if (!(await settleWithin(loop, deadline, this.#options.clock, abort))) await loop;
    if (this.#status === 'stopping') this.#status = 'stopped';
  }
}

/** A line of text for `error`; never throws, as health() must not (`String(Object.create(null))` would). */
function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/**
 * Creates a {@link Worker} that runs `task` every `intervalMs` (counted from the end of one run to
 * the start of the next, so runs never overlap), right away when the task reports `{ more: true }`
 * or someone calls `wake()`, and after a doubling backoff when it fails. Its health reports
 * runs, failures, the last error and the time of the next run; a run that outlasts
 * `stallAfterMs` makes it unhealthy. Logging never stops it (what the logger throws is
 * ignored), and should its loop fail outside a run (a clock that throws), it reports `failed`
 * and unhealthy rather than an unhandled rejection. `stop({ deadline })` aborts the `stopping` signal at once
 * (take no new work), waits up to `deadline` for the current run, then aborts its `signal`.
 * This is the loop under Keel's saga, projection and outbox workers.
 *
 * @param task The work of one run; receives abort signals and the run number.
 * @param options The name (required), interval, backoff, failure and stall limits, clock, logger.
 * @throws {ValidationError} listing every bad option.
 * @example
 * ```ts
 * const relay = createIntervalWorker(async ({ signal }) => {
 *   const sent = await outbox.relayBatch({ signal });
 *   return { more: sent === BATCH };
 * }, { name: 'outbox', intervalMs: 500 });
 * await relay.start();
 * ```
 */
export function createIntervalWorker(task: IntervalTask, options: IntervalWorkerOptions): IntervalWorker {
  return new IntervalLoop(task, resolveIntervalWorkerOptions(options, task));
}
