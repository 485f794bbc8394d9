/** The life stages of a {@link Worker}. */
export type WorkerStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** What a {@link Worker} reports to health and readiness probes. */
export interface WorkerHealth {
  /** The worker's name, unique within one host. */
  readonly name: string;
  readonly status: WorkerStatus;
  /** Alive: the worker is making progress or waiting for work (a liveness probe's answer). */
  readonly healthy: boolean;
  /** Ready: it has started and holds what it needs to serve (a readiness probe's answer). */
  readonly ready: boolean;
  /** Worker-specific figures: owned projections and their lag, sagas recovered, backlog … */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The last error the worker met, if it has not recovered from it. */
  readonly error?: string;
}

/** Options of {@link Worker.stop}. */
export interface WorkerStopOptions {
  /**
   * How long in-flight work may take to finish, in ms, before it is aborted.
   * @default 10_000
   */
  readonly deadline?: number | undefined;
}

/**
 * A long-running piece of a service (a saga worker, a projection daemon, an outbox relay):
 * started once, probed for health, stopped gracefully.
 */
export interface Worker {
  /** A name unique within one host, used in health reports and logs. */
  readonly name: string;
  /** Starts background work; resolves once the worker runs. Starting a running worker is a no-op. */
  start(signal?: AbortSignal): Promise<void>;
  /** Stops taking new work, lets in-flight work finish within the deadline, then aborts it. Idempotent. */
  stop(options?: WorkerStopOptions): Promise<void>;
  /** The worker's current health; pure and cheap, probes call it often. */
  health(): WorkerHealth;
}
