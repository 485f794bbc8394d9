import { throwIfAborted, whenAborted } from '@keel/core';
import type { Clock } from '@keel/core';
import type { AppendWatch } from '@keel/eventsourcing';

/**
 * Wakes waiting subscriptions when an append commits: at once for appends of this process
 * (and `NOTIFY`s it hears), and at the latest after `pollIntervalMs` for appends it cannot
 * hear about (another process without notifications).
 */
export class AppendWakeups {
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #waiters = new Set<() => void>();
  #generation = 0;

  constructor(clock: Clock, pollIntervalMs: number) {
    this.#clock = clock;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** Records that events were appended and wakes every wait. */
  notify(): void {
    this.#generation++;
    for (const wake of [...this.#waiters]) wake();
  }

  /** Arms a watch: its wait ends once an append happened after this call, or a poll is due. */
  watch(): AppendWatch {
    const start = this.#generation;
    return { wait: (signal) => this.#wait(start, signal), dispose: () => undefined };
  }

  async #wait(start: number, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.#generation !== start) return;
    const timer = new AbortController();
    const stopFollowing = whenAborted(signal, () => timer.abort());
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    this.#waiters.add(wake);
    try {
      const polled = this.#clock.sleep(this.#pollIntervalMs, timer.signal).catch(() => undefined);
      await Promise.race([woken, polled]);
    } finally {
      this.#waiters.delete(wake);
      stopFollowing();
      timer.abort();
    }
    throwIfAborted(signal);
  }
}
