import {
  assertOptions,
  linkedAbortController,
  newId,
  optionClock,
  optionInteger,
  optionLogger,
  optionNumber,
  optionObject,
  optionString,
  throwIfAborted,
  TimeoutError,
  withDefaults,
} from '@keel/core';
import type { Clock, EventPublisher, Logger, Message } from '@keel/core';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toNumber } from '../internal/normalize.js';
import { outboxBackoff } from './outboxBackoff.js';
import { describeFailure } from './describeFailure.js';
import { optionText } from './optionText.js';
import { OUTBOX_RELAY_DEFAULTS } from './outboxRelayOptions.js';
import type { OutboxDispatchResult, OutboxRelayOptions } from './outboxRelayOptions.js';
import { RelayTelemetry } from './outboxTelemetry.js';

interface ClaimedRow {
  readonly position: number | string;
  readonly message: Message;
  readonly attempts: number;
}

/** The checked options a relay runs with. */
interface RelaySettings {
  readonly topic: string;
  readonly relayId: string;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxAttempts: number;
}

interface Failure {
  readonly row: ClaimedRow;
  readonly error: unknown;
}

/**
 * Publishes outbox messages: each round reserves the oldest due messages of its topic with a
 * lease (`FOR UPDATE SKIP LOCKED`, so concurrent relays never take the same ones), publishes
 * them in order, marks them dispatched, and reschedules failures with exponential backoff.
 * Delivery is at least once: a relay that dies after publishing but before marking leaves
 * the messages to be published again when the lease expires, so consumers should dedupe
 * (see {@link PostgresInbox}). Create one with {@link PostgresOutbox.createRelay}.
 *
 * @throws {ValidationError} at construction when an option is out of range or of the wrong kind.
 * @example
 * ```ts
 * const relay = outbox.createRelay(eventBus, { pollIntervalMs: 200 });
 * relay.start();
 * // … at shutdown
 * await relay.stop();
 * ```
 */
export class OutboxRelay {
  readonly #client: SqlExecutor;
  readonly #publisher: EventPublisher;
  readonly #table: string;
  readonly #settings: RelaySettings;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #telemetry: RelayTelemetry;
  #running: { controller: AbortController; loop: Promise<void> } | undefined;
  #wake: AbortController | undefined;

  constructor(client: SqlExecutor, publisher: EventPublisher, options: OutboxRelayOptions = {}) {
    const settings = withDefaults(OUTBOX_RELAY_DEFAULTS, options);
    const relayId = settings.relayId ?? newId();
    const positive = { min: 0, exclusiveMin: true };
    assertOptions('OutboxRelay', {
      publisher: optionObject(publisher, 'an EventPublisher', ['publish'], true),
      schema: optionString(settings.schema),
      topic: optionText(settings.topic),
      relayId: optionText(relayId),
      batchSize: optionInteger(settings.batchSize, { min: 1 }),
      pollIntervalMs: optionNumber(settings.pollIntervalMs, positive),
      leaseMs: optionNumber(settings.leaseMs, positive),
      baseDelayMs: optionNumber(settings.baseDelayMs, { min: 0 }),
      maxDelayMs: optionNumber(settings.maxDelayMs, { min: 0 }),
      maxAttempts: optionInteger(settings.maxAttempts, { min: 1, infinity: true }),
      clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
      logger: optionLogger(settings.logger, { uses: ['warn', 'error'] }),
    });
    this.#client = client;
    this.#publisher = publisher;
    this.#table = sqlSchema(settings.schema).table('outbox');
    this.#clock = settings.clock;
    this.#logger = settings.logger;
    this.#settings = {
      topic: settings.topic,
      relayId,
      batchSize: settings.batchSize,
      pollIntervalMs: settings.pollIntervalMs,
      leaseMs: settings.leaseMs,
      baseDelayMs: settings.baseDelayMs,
      maxDelayMs: settings.maxDelayMs,
      maxAttempts: settings.maxAttempts,
    };
    const { topic, pollIntervalMs: measureEveryMs } = settings;
    this.#telemetry = new RelayTelemetry({
      client,
      table: this.#table,
      topic,
      clock: this.#clock,
      measureEveryMs,
    });
  }

  /** This relay's id, as written to the lease columns. */
  get relayId(): string {
    return this.#settings.relayId;
  }

  /** Whether `start()` is running. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Runs one round: claims up to `batchSize` due messages, publishes them in order, marks the
   * published ones and reschedules the failed ones.
   *
   * @param signal Stops publishing: the published messages are marked, the rest released,
   *   and the call rejects with the abort reason.
   */
  async dispatchOnce(signal?: AbortSignal): Promise<OutboxDispatchResult> {
    throwIfAborted(signal);
    const claimedAt = this.#clock.now();
    const rows = await this.#claim(claimedAt);
    if (rows.length === 0) {
      const idle = { claimed: 0, published: 0, retried: 0, failed: 0 };
      await this.#telemetry.round(idle);
      return idle;
    }
    const { published, failures, untouched } = await this.#publishAll(rows, claimedAt, signal);
    await this.#markDispatched(published);
    const failed = await this.#recordFailures(failures);
    await this.#release(untouched);
    const result = {
      claimed: rows.length,
      published: published.length,
      retried: failures.length - failed,
      failed,
    };
    await this.#telemetry.round(result);
    throwIfAborted(signal);
    return result;
  }

  /** Starts publishing in the background until {@link OutboxRelay.stop}; a no-op when running. */
  start(): void {
    if (this.#running !== undefined) return;
    const controller = new AbortController();
    this.#running = { controller, loop: this.#loop(controller.signal) };
  }

  /** Cuts the current wait between rounds short, e.g. right after enqueueing in this process. */
  wake(): void {
    this.#wake?.abort();
  }

  /** Stops the background loop and waits for the current round to finish (its publishes are marked). */
  async stop(): Promise<void> {
    const running = this.#running;
    if (running === undefined) return;
    running.controller.abort(new Error('The outbox relay was stopped.'));
    await running.loop;
    this.#running = undefined;
  }

  /** Same as {@link OutboxRelay.stop}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let full = false;
      try {
        full = (await this.dispatchOnce(signal)).claimed >= this.#settings.batchSize;
      } catch (error) {
        if (signal.aborted) break;
        this.#logger.error('Outbox relay round failed; retrying after the poll interval.', {
          relayId: this.#settings.relayId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      if (!full) await this.#pause(signal);
    }
  }

  async #pause(signal: AbortSignal): Promise<void> {
    const wake = linkedAbortController(signal);
    this.#wake = wake;
    try {
      await this.#clock.sleep(this.#settings.pollIntervalMs, wake.signal);
    } catch {
      // Woken up or stopped: either way the loop decides what comes next.
    } finally {
      wake.dispose();
      if (this.#wake === wake) this.#wake = undefined;
    }
  }

  async #claim(now: number): Promise<ClaimedRow[]> {
    const { rows } = await this.#client.query<ClaimedRow>(
      `UPDATE ${this.#table} AS o SET locked_by = $1, locked_until = $2
       FROM (SELECT position FROM ${this.#table}
             WHERE topic = $3 AND dispatched_at IS NULL AND failed_at IS NULL AND available_at <= $4
               AND (locked_until IS NULL OR locked_until <= $4)
             ORDER BY position LIMIT $5
             FOR UPDATE SKIP LOCKED) AS due
       WHERE o.position = due.position
       RETURNING o.position, o.message, o.attempts`,
      [
        this.#settings.relayId,
        now + this.#settings.leaseMs,
        this.#settings.topic,
        now,
        this.#settings.batchSize,
      ],
    );
    return rows.sort((a, b) => toNumber(a.position) - toNumber(b.position));
  }

  async #publishAll(
    rows: readonly ClaimedRow[],
    claimedAt: number,
    signal: AbortSignal | undefined,
  ): Promise<{ published: ClaimedRow[]; failures: Failure[]; untouched: ClaimedRow[] }> {
    const lease = linkedAbortController(signal);
    const remaining = claimedAt + this.#settings.leaseMs - this.#clock.now();
    const timer = this.#clock.setTimeout(
      () => lease.abort(new TimeoutError(this.#settings.leaseMs, { operation: 'Outbox lease' })),
      Math.max(0, remaining),
    );
    const published: ClaimedRow[] = [];
    const failures: Failure[] = [];
    try {
      for (const row of rows) {
        if (lease.signal.aborted) break;
        try {
          await this.#telemetry.publish(row.message, row.attempts + 1, () =>
            this.#publisher.publish([row.message], { signal: lease.signal }),
          );
          published.push(row);
        } catch (error) {
          if (lease.signal.aborted) break;
          failures.push({ row, error });
        }
      }
    } finally {
      timer.cancel();
      lease.dispose();
    }
    const done = new Set([...published, ...failures.map((failure) => failure.row)]);
    return { published, failures, untouched: rows.filter((row) => !done.has(row)) };
  }

  async #markDispatched(rows: readonly ClaimedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#client.query(
      `UPDATE ${this.#table} SET dispatched_at = $1, locked_by = NULL, locked_until = NULL
       WHERE position = ANY($2::bigint[]) AND locked_by = $3`,
      [this.#clock.now(), rows.map((row) => row.position), this.#settings.relayId],
    );
  }

  async #recordFailures(failures: readonly Failure[]): Promise<number> {
    let failed = 0;
    for (const { row, error } of failures) {
      const attempts = row.attempts + 1;
      const givesUp = attempts >= this.#settings.maxAttempts;
      const now = this.#clock.now();
      const delay = outboxBackoff(attempts, this.#settings.baseDelayMs, this.#settings.maxDelayMs);
      await this.#client.query(
        `UPDATE ${this.#table}
         SET attempts = $1, available_at = $2, failed_at = $3, last_error = $4, locked_by = NULL, locked_until = NULL
         WHERE position = $5 AND locked_by = $6`,
        [
          attempts,
          now + delay,
          givesUp ? now : null,
          describeFailure(error),
          row.position,
          this.#settings.relayId,
        ],
      );
      if (givesUp) failed++;
      this.#logger.warn(
        givesUp ? 'Outbox message failed for good.' : 'Outbox message publish failed; will retry.',
        {
          messageId: row.message.metadata.messageId,
          attempts,
          retryInMs: givesUp ? undefined : delay,
          error: describeFailure(error),
        },
      );
    }
    return failed;
  }

  async #release(rows: readonly ClaimedRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#client.query(
      `UPDATE ${this.#table} SET locked_by = NULL, locked_until = NULL
       WHERE position = ANY($1::bigint[]) AND locked_by = $2`,
      [rows.map((row) => row.position), this.#settings.relayId],
    );
  }
}
