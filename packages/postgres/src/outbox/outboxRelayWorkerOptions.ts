import {
  optionBoolean,
  optionClock,
  optionInteger,
  optionLogger,
  optionRule,
  optionString,
} from '@keel/core';
import type { OptionChecks } from '@keel/core';
import { OUTBOX_RELAY_DEFAULTS } from './outboxRelayOptions.js';
import type { OutboxRelayOptions } from './outboxRelayOptions.js';

/** Options of {@link OutboxRelayWorker}; an option that is `undefined` keeps its default. */
export interface OutboxRelayWorkerOptions extends OutboxRelayOptions {
  /** The worker's name in health reports. @default `outbox-relay:<topic>` */
  name?: string | undefined;
  /**
   * Whether only one relay per schema and topic publishes at a time (the others stand by and
   * take over when it dies), which keeps the topic's messages in order. With `false` every
   * relay publishes: still safe (`SKIP LOCKED` claims never overlap, delivery stays at least
   * once), more throughput, but no order across relays.
   * @default true
   */
  exclusive?: boolean | undefined;
  /**
   * How long the topic's ownership lasts without renewal, in ms (an integer >= 2): a relay
   * that dies is replaced at most `ownerTtlMs + heartbeatMs` later.
   * @default 30_000
   */
  ownerTtlMs?: number | undefined;
  /**
   * How often ownership is renewed or tried and the backlog figures refreshed, in ms (an
   * integer >= 1, below `ownerTtlMs`).
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
  const { ownerTtlMs, heartbeatMs } = settings;
  const comparable = Number.isInteger(ownerTtlMs) && Number.isInteger(heartbeatMs);
  return {
    name: optionString(settings.name),
    exclusive: optionBoolean(settings.exclusive),
    ownerTtlMs: optionInteger(ownerTtlMs, { min: 2 }),
    heartbeatMs:
      optionInteger(heartbeatMs, { min: 1 }) ??
      optionRule(
        !comparable || heartbeatMs < ownerTtlMs,
        `must be below ownerTtlMs (${ownerTtlMs}), or ownership runs out between renewals (got ${heartbeatMs}).`,
      ),
    clock: optionClock(settings.clock, ['now', 'setTimeout', 'sleep']),
    logger: optionLogger(settings.logger, { uses: ['debug', 'info', 'warn', 'error'] }),
  };
}
