import { isKeelError, KeelError } from '../errors/keelError.js';

/** Stable codes of the worker errors. */
export const WORKER_ERROR_CODES = Object.freeze({
  startFailed: 'WORKER_START_FAILED',
  stopFailed: 'WORKER_STOP_FAILED',
} as const);

/** One worker that failed to start or to stop, and why. */
export interface WorkerFailure {
  /** The worker's name. */
  readonly name: string;
  /** What its `start` or `stop` rejected with (or a `TimeoutError` when it never settled). */
  readonly error: unknown;
}

function listFailures(failures: readonly WorkerFailure[]): string {
  return failures
    .map(({ name, error }) => `"${name}" (${error instanceof Error ? error.message : String(error)})`)
    .join(', ');
}

/**
 * One or more workers could not start: their `start` rejected, the worker was already stopped,
 * or the host was stopped while they were starting. `failures` says which and why.
 */
export class WorkerStartError extends KeelError {
  /** The workers that did not start, with their errors. */
  readonly failures: readonly WorkerFailure[];

  constructor(failures: readonly WorkerFailure[], message?: string) {
    super(
      WORKER_ERROR_CODES.startFailed,
      message ??
        `${failures.length} worker(s) failed to start: ${listFailures(failures)}; the others were stopped. Fix the cause and start the service again.`,
      {
        cause: failures.length === 1 ? failures[0]!.error : new AggregateError(failures.map((f) => f.error)),
        details: { workers: failures.map((f) => f.name) },
      },
    );
    this.failures = Object.freeze([...failures]);
  }
}

/**
 * One or more workers did not stop cleanly: their `stop` rejected, or did not settle within the
 * deadline plus the host's grace period (work that ignores its abort signal).
 */
export class WorkerStopError extends KeelError {
  /** The workers that did not stop cleanly, with their errors. */
  readonly failures: readonly WorkerFailure[];

  constructor(failures: readonly WorkerFailure[]) {
    super(
      WORKER_ERROR_CODES.stopFailed,
      `${failures.length} worker(s) did not stop cleanly: ${listFailures(failures)}; their work may still be running, so exit the process.`,
      {
        cause: failures.length === 1 ? failures[0]!.error : new AggregateError(failures.map((f) => f.error)),
        details: { workers: failures.map((f) => f.name) },
      },
    );
    this.failures = Object.freeze([...failures]);
  }
}

/** Whether `value` is a {@link WorkerStartError} (from any loaded copy of Keel). */
export function isWorkerStartError(value: unknown): value is WorkerStartError {
  return isKeelError(value, WORKER_ERROR_CODES.startFailed);
}

/** Whether `value` is a {@link WorkerStopError} (from any loaded copy of Keel). */
export function isWorkerStopError(value: unknown): value is WorkerStopError {
  return isKeelError(value, WORKER_ERROR_CODES.stopFailed);
}
