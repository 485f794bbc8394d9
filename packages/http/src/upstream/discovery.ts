import { raceAbort, throwIfAborted } from '@keel/core';
import type { Clock, Logger } from '@keel/core';
import type { UpstreamEndpoint } from './endpointPools.js';
import { UpstreamDiscoveryError } from './errors.js';

/** What discovery needs of its settings. */
interface DiscoverySettings {
  readonly discover?: ((signal: AbortSignal) => Promise<readonly UpstreamEndpoint[]>) | undefined;
  readonly discoveryIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Where discovery reports. */
interface DiscoverySink {
  apply(endpoints: readonly UpstreamEndpoint[]): void;
  failed(error: UpstreamDiscoveryError): void;
}

/**
 * Polls a discovery function: once at once, then every interval on the clock, until closed. A
 * failure keeps the last endpoints and is reported; the first call waits for the first round.
 */
export class Discovery {
  readonly #name: string;
  readonly #settings: DiscoverySettings;
  readonly #sink: DiscoverySink;
  readonly #stop = new AbortController();
  readonly #first: Promise<void>;
  readonly #loop: Promise<void>;

  constructor(name: string, settings: DiscoverySettings, sink: DiscoverySink) {
    this.#name = name;
    this.#settings = settings;
    this.#sink = sink;
    this.#first = this.refresh(this.#stop.signal).catch(() => {});
    this.#loop = this.#poll();
  }

  /** Resolves once the first round settled (whatever its outcome). */
  ready(signal?: AbortSignal): Promise<void> {
    return signal === undefined ? this.#first : raceAbort(this.#first, signal);
  }

  /** Runs discovery once. @throws UpstreamDiscoveryError when the function fails. */
  async refresh(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    try {
      const endpoints = await this.#settings.discover!(signal ?? this.#stop.signal);
      if (!Array.isArray(endpoints))
        throw new TypeError(`discover returned ${typeof endpoints}, not an array`);
      // Inside the try: a list with a bad URL is refused whole and reported like a failure.
      this.#sink.apply(endpoints as readonly UpstreamEndpoint[]);
    } catch (cause) {
      if (signal?.aborted) throw cause;
      const error = new UpstreamDiscoveryError(this.#name, cause);
      this.#settings.logger.warn(error.message, { upstream: this.#name, error: cause });
      this.#sink.failed(error);
      throw error;
    }
  }

  async #poll(): Promise<void> {
    const signal = this.#stop.signal;
    // close() must not wait on a first round whose discover function ignores the signal.
    await raceAbort(this.#first, signal).catch(() => {});
    while (!signal.aborted) {
      try {
        await this.#settings.clock.sleep(this.#settings.discoveryIntervalMs, signal);
        await this.refresh(signal);
      } catch {
        // Reported by refresh, or the loop was stopped: the while condition decides.
      }
    }
  }

  /** Stops polling and waits for the loop to end. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }
}
