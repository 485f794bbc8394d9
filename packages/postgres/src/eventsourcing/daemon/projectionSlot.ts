import { ProjectionRunner } from '@keel/eventsourcing';
import type { EventStore, Projection, ProjectionRunnerOptions } from '@keel/eventsourcing';
import { settleWithin } from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import type { SqlExecutor, SqlIsolationLevel } from '../../client/sqlClient.js';
import { FencedCheckpoints } from './fencedCheckpoints.js';
import { isLeaseLostError } from '../../errors.js';
import type { Lease, PostgresLeases } from '../../leases/postgresLeases.js';

/** What every {@link ProjectionSlot} of one daemon shares. */
export interface SlotSettings {
  readonly store: EventStore;
  readonly client: SqlExecutor;
  readonly schema: string;
  readonly isolation: SqlIsolationLevel | undefined;
  readonly leases: PostgresLeases;
  readonly ownerId: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Runner options a daemon passes through (the daemon supplies checkpoints, clock and logger). */
export type DaemonRunnerOptions = Omit<ProjectionRunnerOptions, 'checkpoints' | 'clock' | 'logger'>;

type SlotState =
  | { readonly state: 'standby' }
  | {
      readonly state: 'owned';
      lease: Lease;
      readonly runner: ProjectionRunner;
      readonly checkpoints: FencedCheckpoints;
    };

/** The lease name a projection is owned under. */
export function projectionLeaseName(projection: string): string {
  return `projection:${projection}`;
}

/**
 * One projection of a daemon: takes its lease when free, runs it under the lease while the
 * lease holds, and gives it up (lost, failed, or stopping).
 */
export class ProjectionSlot {
  readonly projection: Projection;
  readonly leaseName: string;
  readonly #settings: SlotSettings;
  readonly #runnerOptions: DaemonRunnerOptions;
  #state: SlotState = { state: 'standby' };
  /** The last failure of the runner or of a lease call, until the next successful round. */
  error: unknown;
  /** How many times this process took the lease. */
  acquisitions = 0;

  constructor(settings: SlotSettings, projection: Projection, runnerOptions: DaemonRunnerOptions) {
    this.#settings = settings;
    this.projection = projection;
    this.leaseName = projectionLeaseName(projection.name);
    this.#runnerOptions = runnerOptions;
  }

  /** The lease and runner while this process owns the projection. */
  get owned(): { readonly lease: Lease; readonly runner: ProjectionRunner } | undefined {
    return this.#state.state === 'owned' ? this.#state : undefined;
  }

  /** One heartbeat: renew and supervise when owned, try to take the lease when not. */
  async heartbeat(signal: AbortSignal): Promise<void> {
    const state = this.#state;
    if (state.state === 'standby') return this.#tryAcquire(signal);
    if (state.runner.status === 'failed') {
      this.error = state.runner.error;
      this.#settings.logger.warn('projection failed: handing its lease over for a retry', {
        projection: this.projection.name,
        error: state.runner.error,
      });
      return this.#giveUp(state, undefined);
    }
    try {
      state.lease = await this.#settings.leases.renew(state.lease, signal);
      this.error = undefined;
    } catch (error) {
      if (!isLeaseLostError(error) && this.#settings.clock.now() < state.lease.expiresAt) {
        this.error = error; // a database hiccup: the lease still holds until it expires
        return;
      }
      this.error = error;
      this.#settings.logger.warn('projection lease lost: stopping its runner', {
        projection: this.projection.name,
        error,
      });
      await state.runner.stop();
      this.#state = { state: 'standby' };
    }
  }

  /**
   * Lets the batch in flight commit (waiting at most `deadlineMs`), stops the runner (which
   * rolls back a batch still running) and releases the lease.
   */
  async relinquish(deadlineMs: number): Promise<void> {
    const state = this.#state;
    if (state.state !== 'owned') return;
    state.checkpoints.drain();
    await settleWithin(state.checkpoints.settled(), deadlineMs, this.#settings.clock);
    await this.#giveUp(state, undefined);
  }

  async #tryAcquire(signal: AbortSignal): Promise<void> {
    const { leases, ownerId } = this.#settings;
    const lease = await leases.tryAcquire(this.leaseName, ownerId, signal);
    if (lease === undefined) return;
    const checkpoints = new FencedCheckpoints({
      client: this.#settings.client,
      schema: this.#settings.schema,
      isolation: this.#settings.isolation,
      leases,
      lease,
      onRefused: () => void runner.stop(),
    });
    const runner = this.#createRunner(checkpoints);
    this.#state = { state: 'owned', lease, runner, checkpoints };
    this.acquisitions++;
    this.#settings.logger.info('projection lease taken', {
      projection: this.projection.name,
      token: lease.token,
    });
    runner.start();
  }

  #createRunner(checkpoints: FencedCheckpoints): ProjectionRunner {
    return new ProjectionRunner(this.#settings.store, this.projection, {
      ...this.#runnerOptions,
      checkpoints,
      clock: this.#settings.clock,
      logger: this.#settings.logger,
    });
  }

  async #giveUp(
    state: Extract<SlotState, { state: 'owned' }>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    await state.runner.stop();
    this.#state = { state: 'standby' };
    try {
      await this.#settings.leases.release(state.lease, signal);
    } catch (error) {
      // Unreleased, the lease simply runs out after its ttl.
      this.#settings.logger.warn('could not release a projection lease', {
        projection: this.projection.name,
        error,
      });
    }
  }
}
