import type { Clock } from '@keel/core';
import type { SqlExecutor } from '../../client/sqlClient.js';

/**
 * The shortest time between two notifications of one store, in ms. A `NOTIFY` of its own is a
 * transaction with a commit, so one per append would cost about as much as the append; listeners
 * wake at most a few intervals later instead.
 */
export const NOTIFY_INTERVAL_MS = 10;

/** One notification, committed without waiting for the disk; prepared once per connection. */
const NOTIFY_SQL = "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)";

/**
 * What {@link Announcer.sending} decides for one append: `channel` is set when the append's own
 * transaction notifies (it carries the notification), and `upTo` is the last announcement made
 * before it was sent.
 */
export interface AppendNotice {
  readonly channel: string | undefined;
  readonly upTo: number;
  /** When it was sent, by the store's clock. */
  readonly at: number;
}

/**
 * Sends `NOTIFY channel` after appends commit, coalesced and rate-limited: at most about one per
 * {@link NOTIFY_INTERVAL_MS}, and always one after the last append that committed. Listeners
 * re-read from their position, so one notification covers every append that committed before it.
 *
 * A notification rides on an append when it can: an append sent on its own at least an interval
 * after the last notification carries one in its own transaction ({@link sending}), which costs
 * no round trip and no commit of its own. Appends that commit without one are announced
 * ({@link announce}); a carried notification covers the announcements made before its append was
 * sent, and whatever is still uncovered an interval after the last notification gets a `NOTIFY`
 * of its own (once more an interval later if an append is still in flight and may carry it).
 * Standalone failures are dropped: a notification is only a wake-up hint next to polling.
 */
export class Announcer {
  readonly #client: SqlExecutor;
  readonly #channel: string;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  /** Appends announced so far, and how many of them a committed notification covers. */
  #announced = 0;
  #covered = 0;
  /** Appends sent through {@link sending} and not yet {@link settled}. */
  #inFlight = 0;
  #running = false;
  #last = Number.NEGATIVE_INFINITY;

  constructor(client: SqlExecutor, channel: string, clock: Clock, intervalMs = NOTIFY_INTERVAL_MS) {
    this.#client = client;
    this.#channel = channel;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /**
   * An append is about to be sent in a transaction of its own: it carries the notification when
   * the last one is an interval old. Call {@link settled} with the notice once it is over.
   */
  sending(): AppendNotice {
    this.#inFlight++;
    const now = this.#clock.now();
    // Also when the clock jumped back past the last one: a stale reading must not hold it up.
    if (now - this.#last < this.#intervalMs && now >= this.#last) {
      return { channel: undefined, upTo: this.#announced, at: now };
    }
    this.#last = now;
    return { channel: this.#channel, upTo: this.#announced, at: now };
  }

  /**
   * The append of `notice` is over; `committed` says whether it committed events. One that
   * carried the notification covers itself and every append announced before it was sent; one
   * that did not is announced.
   */
  settled(notice: AppendNotice, committed: boolean): void {
    this.#inFlight--;
    if (!committed) {
      // A carrier that committed nothing notified nobody: the next append, or the pending
      // NOTIFY, need not wait out its interval.
      if (notice.channel !== undefined && this.#last === notice.at) this.#last = Number.NEGATIVE_INFINITY;
      return;
    }
    if (notice.channel === undefined) this.announce();
    else if (notice.upTo > this.#covered) this.#covered = notice.upTo;
  }

  /** Asks for a notification after the appends that committed before this call. */
  announce(): void {
    this.#announced++;
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      // The last notification time at which the drain last gave an append in flight a chance.
      let deferredAt: number | undefined;
      while (this.#announced > this.#covered) {
        const now = this.#clock.now();
        // A clock that jumped back must not hold a notification for longer than an interval.
        if (now < this.#last) this.#last = now;
        const wait = this.#last + this.#intervalMs - now;
        if (wait > 0) {
          await this.#clock.sleep(wait);
          continue;
        }
        if (this.#inFlight > 0 && deferredAt !== this.#last) {
          // An append in flight is followed by one that may carry the notification: give it an
          // interval before paying for a NOTIFY of its own (again only if one was carried).
          deferredAt = this.#last;
          await this.#clock.sleep(this.#intervalMs);
          continue;
        }
        const upTo = this.#announced;
        this.#last = this.#clock.now();
        // Its own commit need not wait for the disk: a notification is not durable anyway, and
        // a flush here would hold up the appends' flushes.
        await this.#client
          .query(NOTIFY_SQL, [this.#channel, ''], { name: 'keel_events_notify' })
          .catch(() => undefined);
        if (upTo > this.#covered) this.#covered = upTo;
      }
    } finally {
      this.#running = false;
    }
  }
}
