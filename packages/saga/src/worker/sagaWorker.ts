import type { IntervalWorker, Worker, WorkerHealth, WorkerStopOptions } from '@keel/core';
import { CancelledError, createIntervalWorker, settleWithin, stopDeadlineOf } from '@keel/core';
import type { SagaOrchestrator, SagaRecoveryReport } from '../orchestrator/sagaOrchestrator.js';
import type { ResolvedSagaWorkerOptions, SagaWorkerOptions } from './sagaWorkerOptions.js';
import { resolveSagaWorkerOptions } from './sagaWorkerOptions.js';

/** What a {@link SagaWorker} has done since it started, as its health details report. */
export interface SagaWorkerCounts {
  /** Recovery passes started. */
  readonly passes: number;
  /** Passes that failed (a claim failed: the store is unreachable). */
  readonly passFailures: number;
  /** Sagas the worker resumed (claimed and ran). */
  readonly recovered: number;
  /** Resumed sagas that ended `completed`. */
  readonly completed: number;
  /** Resumed sagas that ended `compensated`. */
  readonly compensated: number;
  /** Resumed sagas that ended `failed` (a compensation kept failing: they need an operator). */
  readonly failed: number;
  /** Resumed sagas that stopped unfinished (lease lost, store error, stop); they resume later. */
  readonly interrupted: number;
}

type MutableCounts = { -readonly [K in keyof SagaWorkerCounts]: SagaWorkerCounts[K] };

/**
 * A {@link Worker} that keeps sagas moving without anyone calling `recover()` by hand: every
 * `recoverEveryMs` it runs `orchestrator.recover()`, which claims every unfinished saga whose
 * lease is free or expired (its orchestrator crashed, stopped or lost it) and runs it on. Many
 * workers, in one process or many, may share a store: leases let one of them run each saga.
 *
 * `stop({ deadline })` claims nothing more, lets each running saga finish its current step (it
 * then stops, its lease released), and aborts the steps still running when the deadline
 * passes; either way the saga stays unfinished in the store and the next recovery anywhere
 * resumes it. Sagas that callers run through `orchestrator.start()` are theirs, not the
 * worker's: stop them with their own signal or `orchestrator.close()`.
 *
 * @example
 * ```ts
 * const orchestrator = new SagaOrchestrator(store, [orderSaga], { clock });
 * const host = runWorkers([new SagaWorker(orchestrator, { recoverEveryMs: 5_000, clock })]);
 * host.stopOn(['SIGTERM'], { exit: true });
 * ```
 */
export class SagaWorker implements Worker, AsyncDisposable {
  readonly name: string;
  readonly #orchestrator: Pick<SagaOrchestrator, 'recover'>;
  readonly #options: ResolvedSagaWorkerOptions;
  readonly #loop: IntervalWorker;
  readonly #passes = new Set<Promise<void>>();
  readonly #drain = new AbortController();
  readonly #abort = new AbortController();
  readonly #counts: MutableCounts = {
    passes: 0,
    passFailures: 0,
    recovered: 0,
    completed: 0,
    compensated: 0,
    failed: 0,
    interrupted: 0,
  };
  /** The error of the last pass that ended, when it failed. */
  #passError: { readonly error: unknown } | undefined;
  #stopped: Promise<void> | undefined;
  #stopDone = false;

  /**
   * @param orchestrator Runs the sagas; the worker calls only its `recover()`.
   * @param options Name, interval, pass limit, clock and logger.
   * @throws {ValidationError} listing every bad option.
   */
  constructor(orchestrator: SagaOrchestrator, options?: SagaWorkerOptions) {
    this.#options = resolveSagaWorkerOptions(orchestrator, options);
    const { name, recoverEveryMs, clock, logger } = this.#options;
    this.name = name;
    this.#orchestrator = orchestrator;
    this.#loop = createIntervalWorker(() => this.#tick(), {
      name,
      intervalMs: recoverEveryMs,
      clock,
      logger,
    });
  }

  /** What the worker has done since it started. */
  get counts(): SagaWorkerCounts {
    return { ...this.#counts };
  }

  /** Starts recovering: a first pass at once, then one every `recoverEveryMs`. */
  start(signal?: AbortSignal): Promise<void> {
    return this.#loop.start(signal);
  }

  /** Looks for sagas to resume now (e.g. on a notification) instead of at the next interval. */
  wake(): void {
    this.#loop.wake();
  }

  /**
   * Stops claiming sagas, lets the running ones finish their current step until `deadline`
   * (ms, default 10_000), then aborts them. Idempotent.
   * @throws {ValidationError} on a bad `deadline`.
   */
  stop(options?: WorkerStopOptions): Promise<void> {
    try {
      const deadline = stopDeadlineOf(options);
      this.#stopped ??= this.#stop(deadline);
      return this.#stopped;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Same as {@link SagaWorker.stop} with the default deadline. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /**
   * The worker's health: `ready` while running and the last pass did not fail; `details` holds
   * {@link SagaWorkerCounts} and the passes in flight.
   */
  health(): WorkerHealth {
    const loop = this.#loop.health();
    const status = this.#stopped !== undefined && !this.#stopDone ? 'stopping' : loop.status;
    const failure = this.#passError;
    const error = failure === undefined ? loop.error : errorText(failure.error);
    return {
      ...loop,
      status,
      ready: loop.ready && status === 'running' && failure === undefined,
      details: { ...loop.details, ...this.#counts, passesInFlight: this.#passes.size },
      ...(error === undefined ? {} : { error }),
    };
  }

  #tick(): undefined {
    if (this.#passes.size >= this.#options.maxPasses || this.#drain.signal.aborted) return undefined;
    this.#counts.passes++;
    const pass: Promise<void> = this.#orchestrator
      .recover({ signal: this.#abort.signal, drain: this.#drain.signal })
      .then(
        (report) => this.#count(report),
        (error: unknown) => this.#passFailed(error),
      )
      .finally(() => this.#passes.delete(pass));
    this.#passes.add(pass);
    return undefined;
  }

  #count(report: SagaRecoveryReport): void {
    const counts = this.#counts;
    this.#passError = undefined;
    counts.recovered += report.outcomes.length + report.interrupted.length;
    counts.interrupted += report.interrupted.length;
    for (const outcome of report.outcomes) counts[outcome.status]++;
  }

  #passFailed(error: unknown): void {
    if (this.#abort.signal.aborted) return; // cut off by stop()'s deadline
    this.#counts.passFailures++;
    this.#passError = { error };
    this.#options.logger.warn(
      `Saga worker "${this.name}" could not recover sagas; retrying at the next interval.`,
      {
        error,
      },
    );
  }

  async #stop(deadline: number): Promise<void> {
    const { clock } = this.#options;
    this.#drain.abort(
      new CancelledError(`Saga worker "${this.name}" is stopping; the saga resumes on the next recover().`),
    );
    const work = Promise.all([this.#loop.stop({ deadline }), ...this.#passes]);
    const abort = (): void =>
      this.#abort.abort(
        new CancelledError(
          `Saga worker "${this.name}" aborted a step still running after the ${deadline} ms stop deadline; the saga resumes on the next recover().`,
        ),
      );
    if (!(await settleWithin(work, deadline, clock, abort))) await work;
    this.#stopDone = true;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
