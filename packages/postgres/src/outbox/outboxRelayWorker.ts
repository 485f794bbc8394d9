import {
  assertOptions,
  createIntervalWorker,
  NEVER_ABORTED,
  stopDeadlineOf,
  throwIfAborted,
  withDefaults,
} from '@keel/core';
import type {
  Clock,
  EventPublisher,
  IntervalWorker,
  Logger,
  Worker,
  WorkerHealth,
  WorkerStatus,
  WorkerStopOptions,
} from '@keel/core';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toNumber } from '../internal/normalize.js';
import { OutboxRelay } from './outboxRelay.js';
import { errorText } from '../internal/errorText.js';
import { isLeaseLostError } from '../errors.js';
import { OUTBOX_RELAY_WORKER_DEFAULTS, relayWorkerChecks } from './outboxRelayWorkerOptions.js';
import type { OutboxRelayWorkerOptions } from './outboxRelayWorkerOptions.js';
import { PostgresLeases } from '../leases/postgresLeases.js';
import type { Lease } from '../leases/postgresLeases.js';

interface Backlog {
  readonly backlog: number;
  readonly oldestAgeMs: number | undefined;
  readonly failed: number;
}

/**
 * The outbox relay as a long-running worker: publishes one topic's messages every
 * `pollIntervalMs` (at once while full batches keep coming, or on `wake()`), and by default
 * only while it owns the topic's lease (`outbox:<topic>` in `worker_leases`), so one relay per
 * topic publishes at a time, in order, and a standby relay takes over within
 * `ownerTtlMs + heartbeatMs` when the owner dies. In order means: a message whose publish
 * failed holds back the later messages of its topic until a retry publishes it or it is marked
 * failed after `maxAttempts` (then the rest go on), and a new owner first waits for the
 * messages the previous owner still holds (until their `leaseMs` claim runs out) and publishes
 * them before any later one. A relay that loses ownership mid-round may finish publishing the
 * messages it had claimed (their own claims keep two relays from taking the same message);
 * delivery is at least once either way, so consumers dedupe with an inbox.
 * Health reports ownership, the backlog and the age of the oldest unpublished message.
 *
 * @throws {ValidationError} at construction when an option is refused (relay options included).
 * @example
 * ```ts
 * const relay = new OutboxRelayWorker(client, eventBus, { topic: 'orders' });
 * await relay.start();
 * relay.health().details; // { owner: true, backlog: 0, oldestAgeMs: undefined, … }
 * await relay.stop({ deadline: 5_000 });
 * ```
 */
export class OutboxRelayWorker implements Worker {
  readonly name: string;
  readonly #relay: OutboxRelay;
  readonly #client: SqlExecutor;
  readonly #table: string;
  readonly #topic: string;
  readonly #batchSize: number;
  readonly #exclusive: boolean;
  readonly #leases: PostgresLeases;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #heartbeats: IntervalWorker;
  readonly #dispatcher: IntervalWorker;
  #status: WorkerStatus = 'idle';
  #lease: Lease | undefined;
  #holder: string | undefined;
  #beats = 0;
  #error: unknown;
  #published = 0;
  #figures: Backlog | undefined;
  #stopped: Promise<void> | undefined;

  /**
   * @param client The client the outbox lives on (a pool, or PGlite).
   * @param publisher Where messages go: a cqrs `EventBus`, an `EventTransport`, any `EventPublisher`.
   * @param options See {@link OutboxRelayWorkerOptions}.
   */
  constructor(client: SqlExecutor, publisher: EventPublisher, options: OutboxRelayWorkerOptions = {}) {
    const settings = ownershipOutlastingClaims(withDefaults(OUTBOX_RELAY_WORKER_DEFAULTS, options), options);
    assertOptions('OutboxRelayWorker', relayWorkerChecks(settings));
    const { name, exclusive, ownerTtlMs, heartbeatMs, ...relayOptions } = settings;
    this.#relay = new OutboxRelay(client, publisher, relayOptions, exclusive);
    this.name = name ?? `outbox-relay:${settings.topic}`;
    this.#client = client;
    this.#table = sqlSchema(settings.schema).table('outbox');
    this.#topic = settings.topic;
    this.#batchSize = settings.batchSize;
    this.#exclusive = exclusive;
    this.#clock = settings.clock;
    this.#logger = settings.logger;
    this.#leases = new PostgresLeases(client, {
      schema: settings.schema,
      ttlMs: ownerTtlMs,
      clock: settings.clock,
    });
    const shared = { clock: settings.clock, logger: settings.logger, runOnStart: false };
    this.#heartbeats = createIntervalWorker(({ stopping }) => this.#heartbeat(stopping), {
      ...shared,
      name: `${this.name} heartbeat`,
      intervalMs: heartbeatMs,
    });
    this.#dispatcher = createIntervalWorker(({ signal, stopping }) => this.#dispatch(signal, stopping), {
      ...shared,
      name: `${this.name} dispatch`,
      intervalMs: settings.pollIntervalMs,
    });
  }

  /** This relay's id: its name in the message claims and the ownership lease. */
  get relayId(): string {
    return this.#relay.relayId;
  }

  /**
   * Takes the topic when free (or joins, when not exclusive), reads the backlog, and starts
   * publishing in the background. A database error is reported by `health()` and retried on
   * the next heartbeat rather than thrown. A no-op when started.
   *
   * @throws The abort reason when `signal` is aborted before starting.
   */
  async start(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.#status !== 'idle') return;
    this.#status = 'starting';
    await this.#heartbeat(NEVER_ABORTED);
    await this.#heartbeats.start();
    await this.#dispatcher.start();
    if (this.#status === 'starting') this.#status = 'running';
    this.wake();
  }

  /** Publishes now instead of at the next poll, e.g. right after enqueueing in this process. */
  wake(): void {
    this.#dispatcher.wake();
  }

  /**
   * Stops claiming messages, lets the round in flight publish and mark its messages within the
   * deadline (then aborts it: unpublished claims are released), and gives the topic up so a
   * standby relay takes over at once. Idempotent.
   *
   * @throws {ValidationError} when `deadline` is not a number >= 0.
   */
  stop(options: WorkerStopOptions = {}): Promise<void> {
    let deadline: number;
    try {
      deadline = stopDeadlineOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#stopped ??= this.#stop(deadline);
    return this.#stopped;
  }

  /** Stops with the default deadline; for `await using relay = …`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Ownership, backlog and the oldest unpublished message's age as of the last heartbeat. */
  health(): WorkerHealth {
    const dispatch = this.#dispatcher.health();
    const error = errorText(this.#error) ?? dispatch.error;
    const active = this.#status === 'running' || this.#status === 'starting';
    return {
      name: this.name,
      status: this.#status,
      healthy: active && this.#error === undefined && dispatch.healthy,
      ready: this.#status === 'running' && this.#beats > 0,
      details: {
        relayId: this.relayId,
        topic: this.#topic,
        exclusive: this.#exclusive,
        owner: this.#owns(),
        holder: this.#exclusive ? this.#holder : undefined,
        heartbeats: this.#beats,
        published: this.#published,
        backlog: this.#figures?.backlog,
        oldestAgeMs: this.#figures?.oldestAgeMs,
        failed: this.#figures?.failed,
      },
      ...(error === undefined ? {} : { error }),
    };
  }

  #owns(): boolean {
    return !this.#exclusive || this.#lease !== undefined;
  }

  async #stop(deadline: number): Promise<void> {
    if (this.#status === 'idle' || this.#status === 'stopped') {
      this.#status = 'stopped';
      return;
    }
    this.#status = 'stopping';
    await Promise.all([this.#dispatcher.stop({ deadline }), this.#heartbeats.stop({ deadline })]);
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease !== undefined) {
      await this.#leases.release(lease).catch((error: unknown) => {
        this.#logger.warn('could not release the outbox lease; it runs out after its ttl', { error });
      });
    }
    this.#status = 'stopped';
  }

  async #dispatch(signal: AbortSignal, stopping: AbortSignal): Promise<{ more: boolean } | undefined> {
    if (stopping.aborted || !this.#owns()) return undefined;
    const result = await this.#relay.dispatchOnce(signal);
    this.#published += result.published;
    // A message marked failed for good unblocks the ones after it (ordered): go on at once.
    const more = result.claimed >= this.#batchSize || result.failed > 0;
    return { more: more && !stopping.aborted };
  }

  /** Renews or takes ownership, then refreshes the backlog; never throws. */
  async #heartbeat(stopping: AbortSignal): Promise<void> {
    try {
      if (this.#exclusive) await this.#ownership(stopping);
      if (stopping.aborted) return;
      this.#figures = await this.#readBacklog();
      this.#error = undefined;
    } catch (error) {
      if (stopping.aborted) return;
      this.#error = error;
      this.#logger.warn('outbox relay heartbeat failed; retrying on the next one', { error });
    } finally {
      this.#beats++;
    }
  }

  async #ownership(signal: AbortSignal): Promise<void> {
    const name = `outbox:${this.#topic}`;
    const held = this.#lease;
    if (held === undefined) {
      this.#lease = await this.#leases.tryAcquire(name, this.relayId, signal);
      if (this.#lease !== undefined) {
        this.#logger.info('outbox topic taken', { topic: this.#topic, token: this.#lease.token });
        this.#dispatcher.wake();
      }
    } else {
      try {
        this.#lease = await this.#leases.renew(held, signal);
      } catch (error) {
        // Lost, or unreachable past the expiry: stop claiming; messages in flight keep their own claims.
        if (this.#clock.now() >= held.expiresAt || isLeaseLostError(error)) {
          this.#lease = undefined;
        }
        throw error;
      }
    }
    this.#holder = (await this.#leases.holders([name], signal)).get(name)?.owner;
  }

  async #readBacklog(): Promise<Backlog> {
    const { rows } = await this.#client.query<{ backlog: unknown; oldest: unknown; failed: unknown }>(
      `SELECT count(*) FILTER (WHERE dispatched_at IS NULL AND failed_at IS NULL) AS backlog,
              min(enqueued_at) FILTER (WHERE dispatched_at IS NULL AND failed_at IS NULL) AS oldest,
              count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed
       FROM ${this.#table} WHERE topic = $1`,
      [this.#topic],
    );
    const row = rows[0];
    const oldest = row?.oldest === null || row?.oldest === undefined ? undefined : toNumber(row.oldest);
    return {
      backlog: toNumber(row?.backlog ?? 0),
      oldestAgeMs: oldest === undefined ? undefined : Math.max(0, this.#clock.now() - oldest),
      failed: toNumber(row?.failed ?? 0),
    };
  }
}

/**
 * The settings with `ownerTtlMs`, when left to its default, raised to `leaseMs`: ownership must
 * outlast the claims its owner makes, and a longer `leaseMs` alone should not be refused.
 */
function ownershipOutlastingClaims<TSettings extends { ownerTtlMs: number; leaseMs: number }>(
  settings: TSettings,
  options: OutboxRelayWorkerOptions,
): TSettings {
  if (options.ownerTtlMs !== undefined || !Number.isInteger(settings.leaseMs)) return settings;
  if (settings.leaseMs <= settings.ownerTtlMs) return settings;
  return { ...settings, ownerTtlMs: settings.leaseMs };
}
