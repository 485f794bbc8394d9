import { ValidationError } from '../errors/errors.js';

/**
 * A seeded source of random numbers: call it (or its `next`) for a float in `[0, 1)`, with the
 * contract of `Math.random`, so it fits every `random` option of Keel. The same seed gives the
 * same sequence, so a test, a simulation or a chaos run replays exactly.
 */
export interface SeededRandom {
  /** The next float in `[0, 1)`. */
  (): number;
  /** The seed the sequence started from, as given. */
  readonly seed: number;
  /** The next float in `[0, 1)`; the same as calling the source. */
  next(): number;
  /**
   * An integer in `[min, max]`, both inclusive, drawn uniformly (one draw gives 2^32 distinct
   * values, so ranges wider than that are covered only coarsely).
   *
   * @throws {ValidationError} When a bound is not a safe integer or `min` is above `max`.
   */
  between(min: number, max: number): number;
  /**
   * One element of `items`, drawn uniformly.
   *
   * @throws {ValidationError} When `items` is empty.
   */
  pick<T>(items: readonly T[]): T;
}

const TWO_TO_32 = 4_294_967_296;

/** The mulberry32 step: a 32-bit state advanced by a Weyl sequence, then mixed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_TO_32;
  };
}

function checkBounds(min: number, max: number): void {
  const issues = [];
  if (!Number.isSafeInteger(min))
    issues.push({ path: ['min'], message: `must be a safe integer, got ${min}` });
  if (!Number.isSafeInteger(max))
    issues.push({ path: ['max'], message: `must be a safe integer, got ${max}` });
  if (issues.length === 0 && min > max)
    issues.push({ path: ['max'], message: `must be at least min (${min}), got ${max}; swap the bounds` });
  if (issues.length > 0) throw new ValidationError(issues, { subject: 'random range' });
}

/**
 * A seeded pseudo-random generator (mulberry32: 32-bit state, fast, well spread) for jitter,
 * load balancing, simulations, property tests and chaos runs that must replay. Not for
 * anything cryptographic: use `crypto.getRandomValues` there.
 *
 * @param seed Any finite number; it is reduced to 32 bits (`seed >>> 0`), so seeds that agree
 *   in their low 32 bits give the same sequence.
 * @returns A {@link SeededRandom}: a function with the contract of `Math.random`, plus
 *   `between(min, max)` and `pick(items)`.
 * @throws {ValidationError} When `seed` is not a finite number.
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // the same float in [0, 1) on every run
 * random.between(1, 6); // a die roll
 * random.pick(['a', 'b', 'c']);
 * ```
 */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed))
    throw new ValidationError([{ path: ['seed'], message: `must be a finite number, got ${seed}` }], {
      subject: 'random seed',
    });
  const next = mulberry32(seed);
  const between = (min: number, max: number): number => {
    checkBounds(min, max);
    // The clamp guards ranges wider than 2^53, where the float product may round up to max + 1.
    return Math.min(max, min + Math.floor(next() * (max - min + 1)));
  };
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0)
      throw new ValidationError([{ path: ['items'], message: 'must hold at least one element, got none' }], {
        subject: 'random pick',
      });
    return items[Math.floor(next() * items.length)]!;
  };
  const random = next as SeededRandom;
  return Object.freeze(Object.assign(random, { seed, next: random, between, pick }));
}
