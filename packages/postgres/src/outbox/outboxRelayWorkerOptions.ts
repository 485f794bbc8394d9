import { optionBoolean, optionClock, optionLogger, optionRule, optionString } from '@keel/core';
import type { OptionChecks } from '@keel/core';
import { optionMs, OUTBOX_MAX_TIMER_MS } from './optionMs.js';
import { OUTBOX_RELAY_DEFAULTS } from './outboxRelayOptions.js';
import type { OutboxRelayOptions } from './outboxRelayOptions.js';

/** Options of {@link OutboxRelayWorker}; an option that is `undefined` keeps its default. */
export interface OutboxRelayWorkerOptions extends OutboxRelayOptions {
  /** The worker's name in health reports. @default `outbox-relay:<topic>` */
  name?: string | undefined;
  /**
   * Whether only one relay per schema and topic publishes at a time (the others stand by and
   * take over when it dies), which keeps the topic's messages in order: a message whose publish
   * failed holds back the later ones until a retry publishes it or it is marked failed after
   * `maxAttempts` (so a message that keeps failing stops the topic until then), and a new owner
   * publishes the previous owner's claimed messages before any later one. With `false` every
   * relay publishes: still safe (`SKIP LOCKED` claims never overlap, delivery stays at least
   * once), more throughput, a failed message does not hold back the others, but no order.
   * @default true
   */
  exclusive?: boolean | undefined;
  /**
   * How long the topic's ownership lasts without renewal, in ms (an integer >= 2, and with
   * `exclusive` at least `leaseMs`, so ownership cannot run out before the claims its owner
   * made): a relay that dies is replaced at most `ownerTtlMs + heartbeatMs` later, and the new
   * owner publishes the dead one's claimed messages once their lease runs out.
   * @default 30_000, or `leaseMs` when that is longer
   */
  ownerTtlMs?: number | undefined;
  /**
   * How often ownership is renewed or tried and the backlog figures refreshed, in ms (an
   * integer >= 1 and <= 2_147_483_647, below `ownerTtlMs`).
   * @default 10_000
   */
  heartbeatMs?: number | undefined;
}

/** The defaults of {@link OutboxRelayWorkerOptions} (besides those of `OUTBOX_RELAY_DEFAULTS`). */
export const OUTBOX_RELAY_WORKER_DEFAULTS = Object.freeze({
  ...OUTBOX_RELAY_DEFAULTS,
  exclusive: true,
  ownerTtlMs: 30_000,
  heartbeatMs: 10_000,
});

/**
 * The checks of the worker's own options (the relay checks the rest), and of the clock and logger
 * for everything the worker calls: its relay's, its interval workers' and its own calls.
 */
export function relayWorkerChecks(
  settings: OutboxRelayWorkerOptions & typeof OUTBOX_RELAY_WORKER_DEFAULTS,
): OptionChecks {
  const { ownerTtlMs, heartbeatMs, leaseMs, exclusive } = settings;
  const comparable = Number.isInteger(ownerTtlMs) && Number.isInteger(heartbeatMs);
  return {
    name: optionString(settings.name),
    exclusive: optionBoolean(exclusive),
    ownerTtlMs:
      optionMs(ownerTtlMs, 2) ??
      optionRule(
        exclusive !== true || !Number.isInteger(leaseMs) || ownerTtlMs >= leaseMs,
        `must be at least leaseMs (${leaseMs}) when exclusive, or ownership runs out before the messages its owner claimed and a standby publishes later ones first (got ${ownerTtlMs}); raise ownerTtlMs or lower leaseMs.`,
      ),
    heartbeatMs:
      optionMs(heartbeatMs, 1, OUTBOX_MAX_TIMER_MS) ??
      optionRule(
        !comparable || heartbeatMs < ownerTtlMs,
        `must be below ownerTtlMs (${ownerTtlMs}), or ownership runs out between renewals (got ${heartbeatMs}).`,
      ),
    pollIntervalMs: optionMs(settings.pollIntervalMs, 1, OUTBOX_MAX_TIMER_MS),
    clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
    logger: optionLogger(settings.logger, { uses: ['debug', 'info', 'warn', 'error'] }),
  };
}
