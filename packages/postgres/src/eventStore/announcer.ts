import type { SqlExecutor } from '../client/sqlClient.js';

/**
 * Sends `NOTIFY channel` after appends commit, coalesced: at most one in flight, and one more
 * after it when appends committed meanwhile. Listeners re-read from their position, so one
 * notification covers any number of appends. Failures are dropped: a notification is only a
 * wake-up hint next to polling.
 */
export class Announcer {
  readonly #client: SqlExecutor;
  readonly #channel: string;
  #pending = false;
  #running = false;

  constructor(client: SqlExecutor, channel: string) {
    this.#client = client;
    this.#channel = channel;
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
        this.#pending = false;
        await this.#client.query('SELECT pg_notify($1, $2)', [this.#channel, '']).catch(() => undefined);
      }
    } finally {
      this.#running = false;
    }
  }
}
