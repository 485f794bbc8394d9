import { raceAbort, systemClock } from '@keel/core';
import type { SeededRandom } from '@keel/core';
import { createNatsEventTransport } from '@keel/nats';
import { createPostgres, KEEL_MIGRATIONS, migrate, quoteIdentifier } from '@keel/postgres';
import type { SqlClient } from '@keel/postgres';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ChaosConfig } from './config.js';
import { natsOptions } from './inboxConsumer.js';
import { CHAOS_MIGRATIONS } from './schema.js';
import { WorkerProcess } from './workerProcess.js';

/** How long a worker process may take to start (tsx compiles the sources on a loaded machine). */
const READY_TIMEOUT_MS = 90_000;

/** The kill schedule of {@link ChaosRun.chaos}. */
export interface KillPlan {
  readonly durationMs: number;
  readonly killEveryMs: readonly [number, number];
  readonly restartAfterMs: readonly [number, number];
  readonly random: SeededRandom;
}

/**
 * The runner's side of a chaos run: its connections (to set up, look and clean up), the worker
 * processes, kills and restarts. Problems it sees on its own (a worker that exited without being
 * killed) are collected in {@link ChaosRun.problems}.
 */
export class ChaosRun {
  readonly config: ChaosConfig;
  /** Workers that died on their own, or failed to come back: each is a violation. */
  readonly problems: string[] = [];
  /** Workers killed with SIGKILL so far. */
  kills = 0;
  /** Killed workers started again so far. */
  restarts = 0;
  readonly #workers = new Map<number, WorkerProcess>();
  readonly #expectedExits = new Set<WorkerProcess>();
  readonly #pendingRestarts = new Set<Promise<void>>();
  readonly #say: (line: string) => void;
  #client: SqlClient | undefined;
  #nc: NatsConnection | undefined;
  #jsm: JetStreamManager | undefined;
  #closed = false;

  constructor(config: ChaosConfig, say: (line: string) => void) {
    this.config = config;
    this.#say = say;
  }

  /** The runner's own PostgreSQL connection (for the driver and the checks). */
  get client(): SqlClient {
    if (this.#client === undefined) throw new Error('The chaos run is not open.');
    return this.#client;
  }

  /** The runner's JetStream manager (for consumer and stream state). */
  get jsm(): JetStreamManager {
    if (this.#jsm === undefined) throw new Error('The chaos run is not open.');
    return this.#jsm;
  }

  /** Connects, creates the run's schema (Keel's tables and the harness's) and its stream. */
  async open(): Promise<void> {
    this.#client = await createPostgres({ url: this.config.pgUrl, maxConnections: 6 });
    await migrate(this.#client, {
      schema: this.config.schema,
      migrations: [...KEEL_MIGRATIONS, ...CHAOS_MIGRATIONS],
    });
    this.#nc = await connect({ servers: this.config.natsUrl, name: 'chaos-runner', timeout: 5_000 });
    this.#jsm = await jetstreamManager(this.#nc);
    const transport = createNatsEventTransport(this.#nc, natsOptions(this.config));
    await transport.ensureStream();
    await transport.close();
  }

  /** Starts worker `slot` as a process and waits until its workers run. */
  async start(slot: number, signal?: AbortSignal): Promise<WorkerProcess> {
    if (this.#closed) throw new Error(`The chaos run is closed; worker ${slot} is not started again.`);
    const worker = new WorkerProcess(slot, this.config);
    this.#workers.set(slot, worker);
    void worker.exited.then((exit) => {
      if (this.#expectedExits.has(worker)) return;
      this.problems.push(
        `worker ${slot} (pid ${worker.pid}) exited on its own (${exit.signal ?? `code ${exit.code}`})${worker.stderrTail()}`,
      );
    });
    const timeout = AbortSignal.timeout(READY_TIMEOUT_MS);
    await raceAbort(worker.ready, signal === undefined ? timeout : AbortSignal.any([timeout, signal]));
    return worker;
  }

  /** Kills a random live worker with SIGKILL at random moments for `durationMs`, restarting each. */
  async chaos(plan: KillPlan, signal?: AbortSignal): Promise<void> {
    const { random, killEveryMs, restartAfterMs } = plan;
    const end = systemClock.now() + plan.durationMs;
    for (;;) {
      const pause = Math.min(random.between(...killEveryMs), Math.max(0, end - systemClock.now()));
      await systemClock.sleep(pause, signal);
      if (systemClock.now() >= end) return;
      // Only running workers: one still starting is left to finish its start.
      const alive = [...this.#workers.values()].filter((worker) => worker.running);
      if (alive.length === 0) continue;
      const victim = random.pick(alive);
      this.#expectedExits.add(victim);
      await victim.kill();
      this.kills++;
      const delay = random.between(...restartAfterMs);
      this.#say(`  ✖ SIGKILL worker ${victim.slot} (pid ${victim.pid}); restart in ${delay} ms`);
      this.#restartLater(victim.slot, delay);
    }
  }

  /** Waits until every restart scheduled by {@link ChaosRun.chaos} has its worker running. */
  async restartsSettled(): Promise<void> {
    while (this.#pendingRestarts.size > 0) await Promise.all([...this.#pendingRestarts]);
  }

  /** Stops every worker with SIGTERM; returns how many exited cleanly (code 0). */
  async stopAll(): Promise<number> {
    const workers = [...this.#workers.values()].filter((worker) => worker.alive);
    for (const worker of workers) this.#expectedExits.add(worker);
    const exits = await Promise.all(workers.map((worker) => worker.stop()));
    return exits.filter((exit) => exit.code === 0).length;
  }

  /**
   * Kills every worker still running, drops the schema, deletes the streams and closes the
   * connections. Never throws: cleanup must not hide the run's result.
   * @returns What could not be cleaned up (normally nothing).
   */
  async close(): Promise<string[]> {
    this.#closed = true; // no restart scheduled by chaos() may start a worker from now on
    const problems: string[] = [];
    const note = (what: string) => (error: unknown) =>
      void problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    for (const worker of this.#workers.values()) this.#expectedExits.add(worker);
    await Promise.all(
      [...this.#workers.values()].map((worker) => worker.kill().catch(note('killing a worker'))),
    );
    await this.#client
      ?.exec(`SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS ${quoteIdentifier(this.config.schema)} CASCADE`)
      .catch(note(`dropping schema ${this.config.schema}`));
    for (const stream of [this.config.stream, `${this.config.stream}_DLQ`]) {
      await this.#jsm?.streams.delete(stream).catch(note(`deleting stream ${stream}`));
    }
    await this.#nc?.close().catch(note('closing NATS'));
    await this.#client?.close().catch(note('closing PostgreSQL'));
    return problems;
  }

  #restartLater(slot: number, delayMs: number): void {
    const restart: Promise<void> = systemClock
      .sleep(delayMs)
      .then(() => this.start(slot))
      .then(
        (worker) => {
          this.restarts++;
          this.#say(`  ↻ worker ${slot} restarted (pid ${worker.pid})`);
        },
        (error: unknown) => {
          if (!this.#closed) this.problems.push(`worker ${slot} did not come back: ${String(error)}`);
        },
      )
      .finally(() => this.#pendingRestarts.delete(restart));
    this.#pendingRestarts.add(restart);
  }
}
