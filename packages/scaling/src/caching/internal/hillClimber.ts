const RESTART_THRESHOLD = 0.05;
const STEP_FRACTION = 0.0625;
const STEP_DECAY = 0.98;

/**
 * Caffeine's hill climber for the W-TinyLFU window: after each sample of reads it compares the
 * hit ratio with the previous sample's and keeps moving the window size in the direction that
 * helped, with a step that decays and restarts when the workload shifts.
 */
export class HillClimber {
  readonly #sampleSize: number;
  readonly #maximum: number;
  #hits = 0;
  #misses = 0;
  #previousHitRatio = 0;
  #step: number;

  constructor(maximum: number, sampleSize: number) {
    this.#maximum = maximum;
    this.#sampleSize = sampleSize;
    this.#step = -STEP_FRACTION * maximum;
  }

  /** Records a read; at the end of a sample returns how many entries the window should grow (or shrink, < 0). */
  record(hit: boolean): number {
    if (hit) this.#hits++;
    else this.#misses++;
    const reads = this.#hits + this.#misses;
    if (reads < this.#sampleSize) return 0;
    const hitRatio = this.#hits / reads;
    const change = hitRatio - this.#previousHitRatio;
    const amount = change >= 0 ? this.#step : -this.#step;
    this.#step =
      Math.abs(change) >= RESTART_THRESHOLD
        ? STEP_FRACTION * this.#maximum * (amount >= 0 ? 1 : -1)
        : STEP_DECAY * amount;
    this.#previousHitRatio = hitRatio;
    this.#hits = this.#misses = 0;
    return Math.trunc(amount);
  }
}
