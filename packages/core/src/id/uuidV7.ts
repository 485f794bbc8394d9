import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Random bytes drawn at once: 8 per id, so one `getRandomValues` call serves ~2,000 ids. */
const POOL_SIZE = 16 * 1024;
const MAX_COUNTER = 0xfff;
/** A new millisecond starts the counter at a random value in its lower half, leaving room to count. */
const SEED_MASK = 0x7ff;

/** Options of {@link UuidV7Generator}. */
export interface UuidV7GeneratorOptions {
  /** The source of the 48-bit millisecond timestamp. @default systemClock */
  clock?: Pick<Clock, 'now'> | undefined;
  /**
   * Fills a buffer with random bytes. @default `crypto.getRandomValues`
   * (tests may pass a seeded source; ids then repeat across runs).
   */
  randomFill?: ((bytes: Uint8Array) => void) | undefined;
}

/**
 * Makes UUID v7 ids (RFC 9562): a 48-bit millisecond timestamp, then a 12-bit counter
 * (method 1, "fixed bit-length dedicated counter") and 62 random bits. Ids from one generator
 * are strictly increasing, also within one millisecond and when the clock goes backwards: the
 * generator keeps the last timestamp it used until the clock passes it, and when the counter is
 * exhausted it moves on to the next millisecond, as the RFC allows. Random bytes come from a
 * pooled buffer refilled in batches, so an id costs a few string concatenations.
 *
 * @example
 * ```ts
 * const ids = new UuidV7Generator({ clock: new ManualClock(0) });
 * const first = ids.next(); // '00000000-0000-7…'
 * ```
 */
export class UuidV7Generator {
  readonly #clock: Pick<Clock, 'now'>;
  readonly #fill: (bytes: Uint8Array) => void;
  readonly #pool = new Uint8Array(POOL_SIZE);
  #offset = POOL_SIZE;
  #lastMs = -1;
  #counter = 0;
  /** The first 14 characters (`tttttttt-tttt-`) for `#lastMs`. */
  #prefix = '';

  /** @param options See {@link UuidV7GeneratorOptions}. */
  constructor(options: UuidV7GeneratorOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#fill = options.randomFill ?? ((bytes) => globalThis.crypto.getRandomValues(bytes));
  }

  /**
   * A new id, greater than every id this generator made before.
   *
   * @param now The current time in milliseconds, when the caller has just read it from this
   *   generator's clock (e.g. to stamp the same message): saves a second clock read.
   *   @default the generator's clock
   */
  next(now: number = this.#clock.now()): string {
    const time = Math.floor(now);
    const ms = time > 0 ? time : 0; // before 1970, or not a number: the epoch, still ordered
    if (ms > this.#lastMs) this.#startMillisecond(ms);
    else if (++this.#counter > MAX_COUNTER) this.#startMillisecond(this.#lastMs + 1);
    if (this.#offset + 8 > POOL_SIZE) this.#refill();
    const pool = this.#pool;
    const at = this.#offset;
    this.#offset = at + 8;
    const counter = this.#counter;
    return (
      this.#prefix +
      HEX[0x70 | (counter >>> 8)]! +
      HEX[counter & 0xff]! +
      '-' +
      HEX[0x80 | (pool[at]! & 0x3f)]! +
      HEX[pool[at + 1]!]! +
      '-' +
      HEX[pool[at + 2]!]! +
      HEX[pool[at + 3]!]! +
      HEX[pool[at + 4]!]! +
      HEX[pool[at + 5]!]! +
      HEX[pool[at + 6]!]! +
      HEX[pool[at + 7]!]!
    );
  }

  #startMillisecond(ms: number): void {
    this.#lastMs = ms;
    if (this.#offset + 2 > POOL_SIZE) this.#refill();
    const at = this.#offset;
    this.#offset = at + 2;
    this.#counter = ((this.#pool[at]! << 8) | this.#pool[at + 1]!) & SEED_MASK;
    this.#prefix = timePrefix(this.#lastMs);
  }

  #refill(): void {
    this.#fill(this.#pool);
    this.#offset = 0;
  }
}

/** `tttttttt-tttt-` for a 48-bit millisecond timestamp. */
function timePrefix(ms: number): string {
  const high = Math.floor(ms / 0x10000) % 0x100000000;
  const low = ms % 0x10000;
  return (
    HEX[(high >>> 24) & 0xff]! +
    HEX[(high >>> 16) & 0xff]! +
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    '-' +
    HEX[low >>> 8]! +
    HEX[low & 0xff]! +
    '-'
  );
}
