import { noopLogger, systemClock } from '@keel/core';
import type { Clock, Logger } from '@keel/core';

/**
 * Options of {@link OutboxRelay}; an option that is `undefined` keeps its default. Durations are
 * whole milliseconds (integers) up to 2^52, as the outbox stores every time; others are refused
 * with a `ValidationError` at construction.
 */
export interface OutboxRelayOptions {
  /** The schema that holds the `outbox` table. @default 'keel' */
  schema?: string | undefined;
  /** The topic this relay publishes. @default 'default' */
  topic?: string | undefined;
  /** This relay's name in the lease columns; unique per relay. @default a new UUID v7 */
  relayId?: string | undefined;
  /** The most messages claimed per round. @default 100 */
  batchSize?: number | undefined;
  /** How long `start()` waits between rounds that found less than a full batch, in ms (>= 1). @default 1_000 */
  pollIntervalMs?: number | undefined;
  /**
   * How long claimed messages stay reserved for this relay, in ms (>= 1); publishing stops when
   * it runs out (another relay may then take them over): the publish in flight is aborted and
   * counts as a failed attempt, so keep it well above a publish time.
   * @default 30_000
   */
  leaseMs?: number | undefined;
  /** The delay before the first retry of a failed message, doubled on each failure, in ms (>= 0). @default 1_000 */
  baseDelayMs?: number | undefined;
  /** The longest delay between retries, in ms (>= 0). @default 60_000 */
  maxDelayMs?: number | undefined;
  /** After this many failed attempts a message is marked failed and no longer retried. @default Infinity */
  maxAttempts?: number | undefined;
  /** The clock for leases, backoff and polling. @default systemClock */
  clock?: Clock | undefined;
  /** Where failures are reported. @default noopLogger */
  logger?: Logger | undefined;
}

/** The defaults of {@link OutboxRelayOptions}. */
export const OUTBOX_RELAY_DEFAULTS = Object.freeze({
  schema: 'keel',
  topic: 'default',
  batchSize: 100,
  pollIntervalMs: 1_000,
  leaseMs: 30_000,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxAttempts: Infinity,
  clock: systemClock as Clock,
  logger: noopLogger as Logger,
});

/** What one {@link OutboxRelay.dispatchOnce} round did. */
export interface OutboxDispatchResult {
  /** Messages this round reserved. */
  readonly claimed: number;
  /** Messages published and marked dispatched. */
  readonly published: number;
  /** Messages whose publish failed and that will be retried after a backoff. */
  readonly retried: number;
  /** Messages that reached `maxAttempts` and were marked failed. */
  readonly failed: number;
}
