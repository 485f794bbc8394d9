import {
  assertOptions,
  linkedAbortController,
  newId,
  optionClock,
  optionInteger,
  optionLogger,
  optionObject,
  optionString,
  throwIfAborted,
  TimeoutError,
  withDefaults,
} from '@keel/core';
import type { Clock, EventPublisher, Logger } from '@keel/core';
import { sqlSchema } from '../client/identifiers.js';
import type { SqlExecutor } from '../client/sqlClient.js';
import { outboxBackoff } from './outboxBackoff.js';
import { describeFailure, leaseOutlived } from './describeFailure.js';
import { OutboxClaims } from './outboxClaims.js';
import type { ClaimedRow } from './outboxClaims.js';
import { optionMs } from './optionMs.js';
import { optionText } from './optionText.js';
import { OUTBOX_RELAY_DEFAULTS } from './outboxRelayOptions.js';
import type { OutboxDispatchResult, OutboxRelayOptions } from './outboxRelayOptions.js';
import { RelayTelemetry } from './outboxTelemetry.js';

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
  /** What went wrong, as kept in `last_error`. */
  readonly reason: string;
}

/**
 * Publishes outbox messages: each round reserves the oldest due messages of its topic with a
 * lease (`FOR UPDATE SKIP LOCKED`, so concurrent relays never take the same ones), publishes
 * them in order, marks them dispatched, and reschedules failures with exponential backoff
 * (a failed message does not hold back the others). A publish still running when the lease
 * runs out is cut off and counts as a failed attempt. Delivery is at least once: a relay that dies after publishing but before marking leaves
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
  readonly #claims: OutboxClaims;
  readonly #ordered: boolean;
  readonly #publisher: EventPublisher;
  readonly #settings: RelaySettings;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #telemetry: RelayTelemetry;
  #running: { controller: AbortController; loop: Promise<void> } | undefined;
  #wake: AbortController | undefined;

  /**
   * @param client The client the outbox lives on (a pool, or PGlite).
   * @param publisher Where messages go: a cqrs `EventBus`, an `EventTransport`, any `EventPublisher`.
   * @param options See {@link OutboxRelayOptions}.
   * @param ordered Internal, set by the exclusive {@link OutboxRelayWorker}: a failed message (or
   *   one another relay still holds) blocks the later messages of the topic until it is published
   *   or marked failed.
   * @internal
   */
  constructor(
    client: SqlExecutor,
    publisher: EventPublisher,
    options: OutboxRelayOptions = {},
    ordered = false,
  ) {
    const settings = withDefaults(OUTBOX_RELAY_DEFAULTS, options);
    const relayId = settings.relayId ?? newId();
    assertOptions('OutboxRelay', {
      publisher: optionObject(publisher, 'an EventPublisher', ['publish'], true),
      schema: optionString(settings.schema),
      topic: optionText(settings.topic),
      relayId: optionText(relayId),
      batchSize: optionInteger(settings.batchSize, { min: 1 }),
      pollIntervalMs: optionMs(settings.pollIntervalMs, 1),
      leaseMs: optionMs(settings.leaseMs, 1),
      baseDelayMs: optionMs(settings.baseDelayMs, 0),
      maxDelayMs: optionMs(settings.maxDelayMs, 0),
      maxAttempts: optionInteger(settings.maxAttempts, { min: 1, infinity: true }),
      clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
      logger: optionLogger(settings.logger, { uses: ['warn', 'error'] }),
    });
    this.#publisher = publisher;
    const table = sqlSchema(settings.schema).table('outbox');
    this.#claims = new OutboxClaims(client, table, settings.topic, relayId, ordered);
    this.#ordered = ordered;
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
      table,
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
   * published ones and reschedules the failed ones. A publish still running when the lease
   * (`leaseMs`, from the claim) runs out is aborted and counts as a failed attempt; the
   * messages after it are released for the next round.
   *
   * @param signal Stops publishing: the published messages are marked, the rest released,
   *   and the call rejects with the abort reason.
   */
  async dispatchOnce(signal?: AbortSignal): Promise<OutboxDispatchResult> {
    throwIfAborted(signal);
    const claimedAt = this.#now();
    const rows = await this.#claims.claim(
      claimedAt,
      claimedAt + this.#settings.leaseMs,
      this.#settings.batchSize,
    );
    if (rows.length === 0) {
      const idle = { claimed: 0, published: 0, retried: 0, failed: 0 };
      await this.#telemetry.round(idle);
      return idle;
    }
    const { published, failures, untouched } = await this.#publishAll(rows, claimedAt, signal);
    await this.#claims.markDispatched(published, this.#now());
    const failed = await this.#recordFailures(failures);
    await this.#claims.release(untouched);
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

  /** The clock's time in whole ms, as the `bigint` columns keep it. */
  #now(): number {
    return Math.floor(this.#clock.now());
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
          // Stopping: the message was not at fault, so it goes back untouched.
          if (signal?.aborted === true) break;
          const cutOff = lease.signal.aborted;
          failures.push({
            row,
            reason: cutOff ? leaseOutlived(this.#settings.leaseMs) : describeFailure(error),
          });
          // Ordered, a failed message holds back the rest; past the lease, the rest may be taken over.
          if (this.#ordered || cutOff) break;
        }
      }
    } finally {
      timer.cancel();
      lease.dispose();
    }
    const done = new Set([...published, ...failures.map((failure) => failure.row)]);
    return { published, failures, untouched: rows.filter((row) => !done.has(row)) };
  }

  async #recordFailures(failures: readonly Failure[]): Promise<number> {
    let failed = 0;
    for (const { row, reason } of failures) {
      const attempts = row.attempts + 1;
      const givesUp = attempts >= this.#settings.maxAttempts;
      const now = this.#now();
      // Whole ms from whole-ms options: the write cannot fail on the bigint columns.
      const delay = outboxBackoff(attempts, this.#settings.baseDelayMs, this.#settings.maxDelayMs);
      await this.#claims.recordFailure(row, {
        attempts,
        availableAt: now + delay,
        failedAt: givesUp ? now : null,
        lastError: reason,
      });
      if (givesUp) failed++;
      this.#logger.warn(
        givesUp ? 'Outbox message failed for good.' : 'Outbox message publish failed; will retry.',
        {
          messageId: row.message.metadata.messageId,
          attempts,
          retryInMs: givesUp ? undefined : delay,
          error: reason,
        },
      );
    }
    return failed;
  }
}
