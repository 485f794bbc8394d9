import {
  assertOptions,
  createIntervalWorker,
  NEVER_ABORTED,
  newId,
  stopDeadlineOf,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type {
  Clock,
  IntervalWorker,
  Logger,
  Worker,
  WorkerHealth,
  WorkerStatus,
  WorkerStopOptions,
} from '@keel/core';
import { ProjectionRunner } from '@keel/eventsourcing';
import type { EventStore, Projection } from '@keel/eventsourcing';
import { sqlSchema } from '../../client/identifiers.js';
import type { SqlExecutor } from '../../client/sqlClient.js';
import { toNumber } from '../../internal/normalize.js';
import { PostgresProjectionCheckpoints } from '../projections/postgresProjectionCheckpoints.js';
import { PostgresLeases } from '../../leases/postgresLeases.js';
import type { LeaseHolder } from '../../leases/postgresLeases.js';
import { daemonEntries, daemonOptionChecks, PROJECTION_DAEMON_DEFAULTS } from './projectionDaemonOptions.js';
import type { ProjectionDaemonEntry, ProjectionDaemonOptions } from './projectionDaemonOptions.js';
import { ProjectionSlot } from './projectionSlot.js';
import { errorText } from '../../internal/errorText.js';

/** Where one projection of a {@link ProjectionDaemon} stands, as of the last heartbeat. */
export interface DaemonProjectionState {
  readonly name: string;
  /** Whether this process owns (runs) the projection. */
  readonly owned: boolean;
  /** The id of the daemon holding its lease, when any holds it. */
  readonly owner: string | undefined;
  /** `standby` while another process owns it (or nobody yet); otherwise the local runner's status. */
  readonly status: 'standby' | 'idle' | 'running' | 'stopped' | 'failed';
  /** The fencing token of the lease (grows on every change of owner). */
  readonly token: number | undefined;
  /** The global position handled and checkpointed (0 before the first checkpoint). */
  readonly checkpoint: number;
  /**
   * The store's head minus `checkpoint`: how far the read model trails. For a filtered
   * projection this may overstate the lag on a non-owner, as skipped events are not checkpointed.
   */
  readonly lag: number | undefined;
  /** The last failure of its runner or lease, if not recovered. */
  readonly error?: string;
}

interface Figures {
  readonly head: number | undefined;
  readonly checkpoints: ReadonlyMap<string, number>;
  readonly holders: ReadonlyMap<string, LeaseHolder>;
}

/**
 * Runs many projections across a cluster, each owned by exactly one process at a time: every
 * projection has a lease with a fencing token in `worker_leases`; the daemon that holds it runs
 * the projection's `ProjectionRunner`, every batch transaction of which checks the token first,
 * so a stale owner (paused, partitioned) can never write or move a checkpoint backwards. Each
 * heartbeat renews owned leases and tries to take free or expired ones, so when an owner dies
 * (`kill -9`), another daemon continues from the checkpoint within `leaseTtlMs + heartbeatMs`.
 * Batches and checkpoints commit together (exactly-once for `definePostgresProjection`
 * projections; at-least-once for projections writing elsewhere).
 *
 * @throws {ValidationError} at construction when an option or projection is refused (all listed).
 * @example
 * ```ts
 * const daemon = new ProjectionDaemon(client, store, [balances, { projection: history, runner: { batchSize: 50 } }]);
 * await daemon.start();
 * daemon.health(); // { status: 'running', details: { projections: { balances: { owned: true, lag: 0 } } } }
 * await daemon.stop({ deadline: 5_000 });
 * ```
 */
export class ProjectionDaemon implements Worker {
  readonly name: string;
  /** This daemon's id in the lease table. */
  readonly ownerId: string;
  readonly #store: EventStore;
  readonly #client: SqlExecutor;
  readonly #checkpointTable: string;
  readonly #leases: PostgresLeases;
  readonly #slots: readonly ProjectionSlot[];
  readonly #clock: Clock;
  readonly #loop: IntervalWorker;
  readonly #logger: Logger;
  #status: WorkerStatus = 'idle';
  #starting: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  #beats = 0;
  #error: unknown;
  #figures: Figures = { head: undefined, checkpoints: new Map(), holders: new Map() };

  /**
   * @param client The client for leases, checkpoints and batch transactions (a pool, or PGlite).
   * @param store The event store the projections read (a `PostgresEventStore` on the same database
   *   for exactly-once `definePostgresProjection` projections).
   * @param projections The projections, or `{ projection, runner }` entries with runner options of their own.
   * @param options See {@link ProjectionDaemonOptions}.
   */
  constructor(
    client: SqlExecutor,
    store: EventStore,
    projections: readonly (Projection | ProjectionDaemonEntry)[],
    options: ProjectionDaemonOptions = {},
  ) {
    const settings = withDefaults(PROJECTION_DAEMON_DEFAULTS, options);
    const { entries, checks } = daemonEntries(projections);
    assertOptions('ProjectionDaemon', { ...daemonOptionChecks(settings), ...checks });
    this.name = settings.name;
    this.ownerId = settings.ownerId ?? newId();
    this.#store = store;
    this.#client = client;
    this.#checkpointTable = sqlSchema(settings.schema).table('checkpoints');
    this.#clock = settings.clock;
    this.#logger = settings.logger.child({ worker: this.name, owner: this.ownerId });
    this.#leases = new PostgresLeases(client, {
      schema: settings.schema,
      ttlMs: settings.leaseTtlMs,
      clock: settings.clock,
    });
    const shared = {
      store,
      client,
      schema: settings.schema,
      isolation: settings.isolation,
      leases: this.#leases,
      ownerId: this.ownerId,
      clock: settings.clock,
      logger: this.#logger,
    };
    this.#slots = entries.map(({ projection, runner }) => {
      const runnerOptions = { ...settings.runner, ...runner };
      // Refuses bad runner options now rather than on the first lease.
      const checkpoints = new PostgresProjectionCheckpoints(client, { schema: settings.schema });
      void new ProjectionRunner(store, projection, { ...runnerOptions, checkpoints });
      return new ProjectionSlot(shared, projection, runnerOptions);
    });
    this.#loop = createIntervalWorker(({ stopping }) => this.#heartbeat(stopping), {
      name: `${this.name} heartbeat`,
      intervalMs: settings.heartbeatMs,
      runOnStart: false,
      clock: settings.clock,
      logger: this.#logger,
    });
  }

  /**
   * Takes the free projections' leases, starts their runners, and keeps heartbeating in the
   * background. A no-op when started; a database error here is reported by `health()` and
   * retried on the next heartbeat rather than thrown.
   *
   * @throws The abort reason when `signal` is aborted before starting.
   */
  async start(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.#starting !== undefined) return this.#starting;
    if (this.#status !== 'idle') return;
    this.#status = 'starting';
    this.#starting = (async () => {
      await this.#heartbeat(NEVER_ABORTED);
      await this.#loop.start();
      if (this.#status === 'starting') this.#status = 'running';
    })().finally(() => (this.#starting = undefined));
    return this.#starting;
  }

  /**
   * Stops heartbeating, lets each owned projection's batch in flight commit (up to the
   * deadline, then aborts it: a rolled-back batch is handled again by the next owner), and
   * releases the leases so other daemons take over at once. Idempotent.
   *
   * @throws {ValidationError} when `deadline` is not a number >= 0.
   */
  async stop(options: WorkerStopOptions = {}): Promise<void> {
    const deadline = stopDeadlineOf(options);
    const stopAt = this.#clock.now() + deadline;
    await this.#starting?.catch(() => undefined);
    if (this.#status === 'stopped' || this.#status === 'idle') {
      this.#status = 'stopped';
      return;
    }
    if (this.#status === 'stopping') return this.#stopped;
    this.#status = 'stopping';
    this.#stopped = (async () => {
      await this.#loop.stop({ deadline });
      const left = Math.max(0, stopAt - this.#clock.now());
      await Promise.all(this.#slots.map((slot) => slot.relinquish(left)));
      this.#status = 'stopped';
    })();
    return this.#stopped;
  }

  /** Stops with the default deadline; for `await using daemon = …`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Each projection's ownership, status, checkpoint and lag as of the last heartbeat. */
  projections(): DaemonProjectionState[] {
    const head = this.#figures.head;
    return this.#slots.map((slot) => {
      const owned = slot.owned;
      const name = slot.projection.name;
      const holder = this.#figures.holders.get(slot.leaseName);
      const stored = this.#figures.checkpoints.get(name) ?? 0;
      const checkpoint = Math.max(stored, owned?.runner.position ?? 0);
      const error = errorText(slot.error);
      return {
        name,
        owned: owned !== undefined,
        owner: owned === undefined ? holder?.owner : this.ownerId,
        status: owned?.runner.status ?? 'standby',
        token: owned?.lease.token ?? holder?.token,
        checkpoint,
        lag: head === undefined ? undefined : Math.max(0, head - checkpoint),
        ...(error === undefined ? {} : { error }),
      };
    });
  }

  /** Liveness (heartbeats succeed), readiness (started) and {@link projections} as details. */
  health(): WorkerHealth {
    const projections = this.projections();
    const error = errorText(this.#error);
    const active = this.#status === 'running' || this.#status === 'starting';
    return {
      name: this.name,
      status: this.#status,
      healthy: active && this.#error === undefined,
      ready: this.#status === 'running' && this.#beats > 0,
      details: {
        ownerId: this.ownerId,
        heartbeats: this.#beats,
        owned: projections.filter((projection) => projection.owned).length,
        headPosition: this.#figures.head,
        projections: Object.fromEntries(projections.map((projection) => [projection.name, projection])),
      },
      ...(error === undefined ? {} : { error }),
    };
  }

  /**
   * Renews or takes every lease, then refreshes the figures; never throws. The projections beat
   * side by side: one whose renewal or runner stop is slow delays no other's renewal.
   */
  async #heartbeat(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let failure: unknown;
    await Promise.all(
      this.#slots.map(async (slot) => {
        try {
          await slot.heartbeat(signal);
        } catch (error) {
          slot.error = error;
          failure = error;
        }
      }),
    );
    try {
      this.#figures = await this.#readFigures(signal);
    } catch (error) {
      failure = error;
    }
    if (failure !== undefined && !signal.aborted) {
      this.#logger.warn('projection daemon heartbeat failed; retrying on the next one', { error: failure });
    }
    this.#error = failure;
    this.#beats++;
  }

  async #readFigures(signal: AbortSignal): Promise<Figures> {
    const names = this.#slots.map((slot) => slot.projection.name);
    const head = await this.#store.headPosition({ signal });
    const holders = await this.#leases.holders(
      this.#slots.map((slot) => slot.leaseName),
      signal,
    );
    const { rows } = await this.#client.query<{ name: string; position: unknown }>(
      `SELECT name, position FROM ${this.#checkpointTable} WHERE name = ANY($1::text[])`,
      [names],
    );
    return { head, holders, checkpoints: new Map(rows.map((row) => [row.name, toNumber(row.position)])) };
  }
}
