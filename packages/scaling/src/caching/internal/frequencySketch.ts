import { mix } from './hashKey.js';

/** Halves every 4-bit counter of a word at once. */
const HALF_MASK = 0x77777777;
/** 16 words of 32 bits: one 64-byte block holds a key's counters in all four rows. */
const BLOCK_WORDS = 16;
const COUNTER_SEED = 0x9e3779b9;

/**
 * A count-min sketch of 4-bit counters (at most 15) estimating how often each key hash was seen
 * recently, as in Caffeine's TinyLFU. A key's four counters (one per row) live in one 64-byte
 * block, so an update touches one cache line and needs two hash mixes. After `10 × capacity`
 * additions every counter is halved so old popularity fades. An optional doorkeeper (a Bloom
 * filter) absorbs one-hit wonders before they reach the counters.
 */
export class FrequencySketch {
  readonly sampleSize: number;
  readonly #table: Uint32Array;
  readonly #blockMask: number;
  readonly #doorkeeper: Uint32Array | undefined;
  readonly #doorMask: number;
  #additions = 0;

  constructor(capacity: number, doorkeeper: boolean) {
    const words = nextPowerOfTwo(Math.max(BLOCK_WORDS, capacity * 2));
    this.#table = new Uint32Array(words);
    this.#blockMask = words / BLOCK_WORDS - 1;
    this.sampleSize = Math.max(10, 10 * capacity);
    const bits = nextPowerOfTwo(Math.max(64, capacity * 8));
    this.#doorkeeper = doorkeeper ? new Uint32Array(bits >>> 5) : undefined;
    this.#doorMask = bits - 1;
  }

  /** The estimated recent frequency of `hash`, 0 to 15 (16 with the doorkeeper). */
  frequency(hash: number): number {
    const base = (mix(hash) & this.#blockMask) << 4;
    const counters = mix(hash ^ COUNTER_SEED);
    let min = 15;
    for (let row = 0; row < 4; row++) {
      const bits = counters >>> (row << 3);
      const count = (this.#table[base + (row << 2) + (bits & 3)]! >>> (bits & 0x1c)) & 0xf;
      if (count < min) min = count;
    }
    return this.#doorkeeper !== undefined && this.#inDoorkeeper(hash) ? min + 1 : min;
  }

  /** Records one occurrence of `hash`, ageing the whole sketch every `sampleSize` additions. */
  increment(hash: number): void {
    if (this.#doorkeeper !== undefined && !this.#admitThroughDoor(hash)) return;
    const base = (mix(hash) & this.#blockMask) << 4;
    const counters = mix(hash ^ COUNTER_SEED);
    let added = false;
    for (let row = 0; row < 4; row++) {
      const bits = counters >>> (row << 3);
      const index = base + (row << 2) + (bits & 3);
      const shift = bits & 0x1c;
      if (((this.#table[index]! >>> shift) & 0xf) !== 0xf) {
        this.#table[index]! += 1 << shift;
        added = true;
      }
    }
    if (added && ++this.#additions >= this.sampleSize) this.#age();
  }

  #age(): void {
    let odd = 0;
    for (let index = 0; index < this.#table.length; index++) {
      const word = this.#table[index]!;
      odd += popcount(word & 0x11111111);
      this.#table[index] = (word >>> 1) & HALF_MASK;
    }
    this.#additions = Math.max(0, (this.#additions >>> 1) - (odd >>> 2));
    this.#doorkeeper?.fill(0);
  }

  /** Sets the key's doorkeeper bits; returns whether they were all set already. */
  #admitThroughDoor(hash: number): boolean {
    const seen = this.#inDoorkeeper(hash);
    if (!seen) {
      const door = this.#doorkeeper!;
      for (const bit of this.#doorBits(hash)) door[bit >>> 5]! |= 1 << (bit & 31);
    }
    return seen;
  }

  #inDoorkeeper(hash: number): boolean {
    const door = this.#doorkeeper!;
    for (const bit of this.#doorBits(hash)) if ((door[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    return true;
  }

  #doorBits(hash: number): [number, number, number] {
    const second = mix(hash ^ 0x5bd1e995);
    return [hash & this.#doorMask, second & this.#doorMask, (hash + second) & this.#doorMask];
  }
}

function nextPowerOfTwo(value: number): number {
  return 2 ** Math.ceil(Math.log2(value));
}

function popcount(input: number): number {
  let bits = input - ((input >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (Math.imul((bits + (bits >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
