/**
 * Peak-sensitive exponentially weighted moving average of latency (Finagle's PeakEwma): a
 * sample above the average replaces it at once (react fast to slowness), lower samples blend
 * in with weight depending on the time since the last update (recover smoothly), and reading
 * decays the value towards zero so an idle endpoint is eventually tried again.
 */
export class PeakEwma {
  #cost: number;
  #stamp: number;
  readonly #decayMs: number;

  constructor(decayMs: number, initialMs: number, now: number) {
    this.#decayMs = decayMs;
    this.#cost = initialMs;
    this.#stamp = now;
  }

  /** Records one observed latency at time `now`. */
  observe(latencyMs: number, now: number): void {
    const elapsed = Math.max(now - this.#stamp, 0);
    const weight = Math.exp(-elapsed / this.#decayMs);
    this.#cost = latencyMs > this.#cost ? latencyMs : this.#cost * weight + latencyMs * (1 - weight);
    this.#stamp = Math.max(now, this.#stamp);
  }

  /** The current estimate at time `now`, decayed for the time since the last update. */
  value(now: number): number {
    this.observe(0, now);
    return this.#cost;
  }
}
