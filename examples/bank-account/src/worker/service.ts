import { createLogger, runWorkers, systemClock } from '@keel/core';
import type { Clock, HealthReport, LogEntry, Logger, Timer, WorkerHost } from '@keel/core';
import { ProjectionDaemon } from '@keel/postgres';
import type { Server } from 'node:http';
import { balancesTableProjection } from './balancesTable.js';
import type { WorkerConfig } from './config.js';
import { openWorkerDatabase } from './database.js';
import type { WorkerDatabase } from './database.js';
import { closeServer, createProbeServer, listen, startingReport } from './probes.js';

/** Options of {@link WorkerService}. */
export interface WorkerServiceOptions {
  /** Where progress lines go. @default console.log */
  print?: ((line: string) => void) | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
}

/**
 * The bank's worker service: a `ProjectionDaemon` projecting the accounts into the balances
 * table, run by `runWorkers`, with a probe server for Kubernetes (`/healthz`, `/readyz`) and a
 * graceful {@link WorkerService.stop} for `SIGTERM`. `src/worker/main.ts` runs it.
 */
export class WorkerService {
  readonly #config: WorkerConfig;
  readonly #print: (line: string) => void;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #server: Server;
  #phase = 'starting the probe server';
  #database: WorkerDatabase | undefined;
  #daemon: ProjectionDaemon | undefined;
  #host: WorkerHost | undefined;
  #progress: Timer | undefined;
  readonly #lastPrinted = new Map<string, number>();
  #starting: Promise<void> | undefined;
  #stopping: Promise<number> | undefined;

  /** @param config What {@link readWorkerConfig} read from the environment. */
  constructor(config: WorkerConfig, options: WorkerServiceOptions = {}) {
    this.#config = config;
    this.#print = options.print ?? ((line) => console.log(line));
    this.#clock = options.clock ?? systemClock;
    this.#logger = createLogger((entry) => this.#print(logLine(entry)), { level: 'info' });
    this.#server = createProbeServer(() => this.report());
  }

  /** The health report the probes serve: the host's, or a "starting" one before it exists. */
  report(): HealthReport {
    return this.#host?.healthReport() ?? startingReport(this.#clock.now(), this.#phase);
  }

  /**
   * Serves the probes, opens the database, and runs the workers; resolves once they all run
   * (or once a stop began meanwhile). Idempotent.
   * @throws When the port is taken, the database cannot be opened, or a worker fails to start.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /**
   * Stops gracefully: readiness turns 503 at once, the workers stop taking new batches and those
   * in flight may commit within `stopDeadlineMs`, leases are released, then the probe server and
   * the database close. Idempotent.
   * @param reason What asked for the stop, e.g. `SIGTERM`, for the log.
   * @returns The exit code: 0 after a clean stop, 1 when a worker did not stop cleanly.
   */
  stop(reason: string): Promise<number> {
    this.#stopping ??= this.#stop(reason);
    return this.#stopping;
  }

  async #start(): Promise<void> {
    const { port, host, url, dataDir, stopDeadlineMs } = this.#config;
    const bound = await listen(this.#server, port, host);
    this.#print(`Probes on http://${host}:${bound} (GET /healthz, GET /readyz); port ${bound}`);
    const embedded = url === '';
    this.#phase = embedded
      ? `opening embedded PGlite in ${dataDir}`
      : 'connecting to the PostgreSQL server in KEEL_PG_URL';
    const phase = this.#phase.charAt(0).toUpperCase() + this.#phase.slice(1);
    this.#print(`${phase}${embedded ? ' (takes a few seconds)' : ''} …`);
    this.#database = await openWorkerDatabase(this.#config);
    this.#print(`Database ready: ${this.#database.description}.`);
    if (this.#stopping !== undefined) return;
    this.#daemon = this.#createDaemon(this.#database);
    this.#host = runWorkers([this.#daemon], { stopDeadlineMs, clock: this.#clock, logger: this.#logger });
    try {
      await this.#host.whenStarted();
    } catch (error) {
      if (this.#stopping !== undefined) return; // stopped while starting: not a failure
      throw error;
    }
    this.#print('Workers running; /readyz answers 200. Stop with SIGTERM or Ctrl-C.');
    this.#progress = this.#clock.setInterval(() => this.#printProgress(), this.#config.heartbeatMs, {
      keepAlive: false,
    });
  }

  #createDaemon(database: WorkerDatabase): ProjectionDaemon {
    const { schema, heartbeatMs } = this.#config;
    return new ProjectionDaemon(database.client, database.store, [balancesTableProjection(schema)], {
      schema,
      heartbeatMs,
      clock: this.#clock,
      logger: this.#logger,
    });
  }

  /** One line per projection whose checkpoint moved since the last line. */
  #printProgress(): void {
    for (const state of this.#daemon?.projections() ?? []) {
      if (!state.owned || this.#lastPrinted.get(state.name) === state.checkpoint) continue;
      this.#lastPrinted.set(state.name, state.checkpoint);
      this.#print(`Projection ${state.name}: checkpoint ${state.checkpoint}, lag ${state.lag ?? '?'}.`);
    }
  }

  async #stop(reason: string): Promise<number> {
    const deadline = this.#config.stopDeadlineMs;
    this.#print(`${reason}: stopping gracefully (in-flight batches get up to ${deadline} ms) …`);
    this.#progress?.cancel();
    await this.#starting?.catch(() => undefined); // an opening database cannot be interrupted
    let code = 0;
    try {
      await this.#host?.stop({ deadline });
      if (this.#host !== undefined) this.#print('Workers stopped: batches committed, leases released.');
    } catch (error) {
      code = 1;
      this.#print(`Workers did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
    }
    await closeServer(this.#server).catch(() => undefined);
    await this.#database?.close();
    this.#print(code === 0 ? 'Stopped cleanly.' : 'Stopped, with errors.');
    return code;
  }
}

/** A log entry as one line: level, message, and its fields (errors by message). */
function logLine(entry: LogEntry): string {
  const fields = Object.entries(entry.fields)
    .filter(([key]) => key !== 'worker' && key !== 'owner')
    .map(([key, value]) => `${key}=${value instanceof Error ? value.message : JSON.stringify(value)}`);
  return `  [${entry.level}] ${entry.message}${fields.length === 0 ? '' : ` (${fields.join(', ')})`}`;
}
