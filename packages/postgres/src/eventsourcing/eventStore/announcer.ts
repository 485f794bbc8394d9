import type { Clock } from '@keel/core';
import type { SqlExecutor } from '../../client/sqlClient.js';

/**
 * The shortest time between two `NOTIFY`s of one store, in ms. A `NOTIFY` is a transaction of
 * its own with a commit, so one per append would cost about as much as the append; listeners
 * wake at most this much later instead.
 */
export const NOTIFY_INTERVAL_MS = 10;

/** One notification, committed without waiting for the disk; prepared once per connection. */
const NOTIFY_SQL = "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)";

/**
 * Sends `NOTIFY channel` after appends commit, coalesced and rate-limited: at most one in
 * flight, at most one per {@link NOTIFY_INTERVAL_MS}, and always one after the last append that
 * committed. Listeners re-read from their position, so one notification covers any number of
 * appends. Failures are dropped: a notification is only a wake-up hint next to polling.
 */
export class Announcer {
  readonly #client: SqlExecutor;
  readonly #channel: string;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #pending = false;
  #running = false;
  #last = Number.NEGATIVE_INFINITY;

  constructor(client: SqlExecutor, channel: string, clock: Clock, intervalMs = NOTIFY_INTERVAL_MS) {
    this.#client = client;
    this.#channel = channel;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /** Asks for a notification after the appends that committed before this call. */
  announce(): void {
    this.#pending = true;
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#pending) {
        // Clamped: a clock that jumps back must not hold a notification for longer.
        const wait = Math.min(this.#intervalMs, this.#last + this.#intervalMs - this.#clock.now());
        if (wait > 0) await this.#clock.sleep(wait);
        this.#pending = false;
        this.#last = this.#clock.now();
        // Its own commit need not wait for the disk: a notification is not durable anyway, and
        // a flush here would hold up the appends' flushes.
        await this.#client
          .query(NOTIFY_SQL, [this.#channel, ''], { name: 'keel_events_notify' })
          .catch(() => undefined);
      }
    } finally {
      this.#running = false;
    }
  }
}
