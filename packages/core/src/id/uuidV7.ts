import type { Clock } from '../clock/clock.js';
import { systemClock } from '../clock/clock.js';
import { renderTails, TAIL_STRIDE } from './uuidTails.js';

/** Ids whose random parts are drawn and rendered at once: one `getRandomValues` call of 10 KiB. */
const IDS_PER_BATCH = 1024;
const MAX_COUNTER = 0xfff;
/** The last millisecond a 48-bit timestamp can carry (2^48 - 1, in the year 10889). */
const MAX_MS = 0xffff_ffff_ffff;
/** A new millisecond starts the counter at a random value in its lower half, leaving room to count. */
const SEED_MASK = 0x7ff;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** `7ccc-` (version and counter) for each counter value, rendered the first time it is used. */
const COUNTER_TEXTS: Array<string | undefined> = new Array<string | undefined>(MAX_COUNTER + 1);

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
 * exhausted it moves on to the next millisecond, as the RFC allows. A clock reading that is not a
 * number of milliseconds in [0, 2^48) (before 1970, `NaN`, `Infinity`, past the year 10889) does
 * not move the time: the generator keeps its last timestamp (the epoch at first) and counts on,
 * until the clock reads a later valid time again. The random parts of 1,024 ids
 * are drawn and rendered as text at once, so an id costs a few string joins; the timestamp part
 * is rendered once per millisecond.
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
  /** The random parts of the batch, `TAIL_STRIDE` characters per id (see `renderTails`). */
  #tails = '';
  /** The counter seed of each id of the batch, used when that id starts a millisecond. */
  readonly #seeds = new Uint16Array(IDS_PER_BATCH);
  /** The next id of the batch; the batch is drawn when it reaches the end. */
  #slot = IDS_PER_BATCH;
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
   * @throws {RangeError} when the counter of the last millisecond a UUID v7 can carry
   *   (2^48 - 1) is exhausted: there is no greater id to make.
   */
  next(now: number = this.#clock.now()): string {
    const time = Math.floor(now);
    // Before 1970, not a number, or past 48 bits: the epoch, which never moves the time forward.
    const ms = time > 0 && time <= MAX_MS ? time : 0;
    if (this.#slot === IDS_PER_BATCH) this.#drawBatch();
    const slot = this.#slot;
    if (ms > this.#lastMs) this.#startMillisecond(ms, slot);
    else if (this.#counter < MAX_COUNTER) this.#counter++;
    else if (this.#lastMs < MAX_MS) this.#startMillisecond(this.#lastMs + 1, slot);
    else throw exhausted();
    this.#slot = slot + 1;
    const at = slot * TAIL_STRIDE;
    const tails = this.#tails;
    // Pieces under 13 characters: V8 copies them instead of keeping a view of the whole batch.
    return this.#prefix + counterText(this.#counter) + tails.slice(at, at + 5) + tails.slice(at + 6, at + 18);
  }

  #startMillisecond(ms: number, slot: number): void {
    this.#lastMs = ms;
    this.#counter = this.#seeds[slot]! & SEED_MASK;
    this.#prefix = timePrefix(ms);
  }

  #drawBatch(): void {
    this.#tails = renderTails(this.#fill, this.#seeds);
    this.#slot = 0;
  }
}

function exhausted(): RangeError {
  return new RangeError(
    `No UUID v7 is left after the last millisecond a 48-bit timestamp carries (${MAX_MS}): ` +
      'every counter value was used. Check the clock the generator reads.',
  );
}

/** `7ccc-` for a 12-bit counter. */
function counterText(counter: number): string {
  return (COUNTER_TEXTS[counter] ??= `7${HEX[counter >>> 8]![1]!}${HEX[counter & 0xff]!}-`);
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
