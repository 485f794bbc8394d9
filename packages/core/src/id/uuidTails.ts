/**
 * The random parts of UUID v7 ids, drawn and rendered as text for a batch of ids at once
 * (internal to the id generator). Rendering a batch costs a few nanoseconds per id: one
 * `getRandomValues` call, one 16-bit store per random byte into a text buffer, one decode.
 */

/** Characters per id in a batch's text: `vrrr--rrrrrrrrrrrr` (the second dash pads to 16-bit stores). */
export const TAIL_STRIDE = 18;
/** Random bytes per id: 8 for the 62 random bits of the id, 2 for the counter seed of a millisecond. */
const RANDOM_BYTES = 10;

const HEX_DIGITS = '0123456789abcdef';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const DASHES = pair(0x2d, 0x2d);

/** Two ASCII codes as one 16-bit store that writes them in this order. */
function pair(first: number, second: number): number {
  return LITTLE_ENDIAN ? first | (second << 8) : (first << 8) | second;
}

/** Two hex digits of a byte, as one 16-bit store. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) =>
  pair(HEX_DIGITS.charCodeAt(byte >>> 4), HEX_DIGITS.charCodeAt(byte & 0xf)),
);
/** The variant digit (`8`–`b`: bits `10` and two random bits) and one random digit, as one store. */
const VARIANT_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) =>
  pair(HEX_DIGITS.charCodeAt(0x8 | ((byte >>> 4) & 0x3)), HEX_DIGITS.charCodeAt(byte & 0xf)),
);

interface Scratch {
  readonly random: Uint8Array;
  readonly words: Uint16Array;
  /** `words` as bytes: the text to decode. */
  readonly text: Uint8Array;
}

/** Buffers shared by every generator drawing batches of one size: rendering is synchronous. */
let scratch: Scratch = scratchFor(0);
let decoder: { decode(bytes: Uint8Array): string } | undefined;

/**
 * Draws random bytes with `fill` for `seeds.length` ids and renders their random parts: id `k`
 * is `tails.slice(k * TAIL_STRIDE, …)`, `vrrr` at 0–3 and the last 12 digits at 6–17; `seeds[k]`
 * gets 16 random bits to start a millisecond's counter with.
 *
 * @returns The rendered text of the batch.
 */
export function renderTails(fill: (bytes: Uint8Array) => void, seeds: Uint16Array): string {
  const ids = seeds.length;
  if (scratch.random.length !== ids * RANDOM_BYTES) scratch = scratchFor(ids);
  // Locals, not the module's bindings: the loop below then compiles to plain loads and stores.
  const { random, words, text } = scratch;
  const hex = HEX_PAIRS;
  fill(random);
  for (let id = 0, r = 0, w = 0; id < ids; id++, r += RANDOM_BYTES, w += TAIL_STRIDE / 2) {
    words[w] = VARIANT_PAIRS[random[r]!]!;
    words[w + 1] = hex[random[r + 1]!]!;
    words[w + 2] = DASHES;
    words[w + 3] = hex[random[r + 2]!]!;
    words[w + 4] = hex[random[r + 3]!]!;
    words[w + 5] = hex[random[r + 4]!]!;
    words[w + 6] = hex[random[r + 5]!]!;
    words[w + 7] = hex[random[r + 6]!]!;
    words[w + 8] = hex[random[r + 7]!]!;
    seeds[id] = (random[r + 8]! << 8) | random[r + 9]!;
  }
  decoder ??= new TextDecoder();
  return decoder.decode(text);
}

/** Buffers to draw and render a batch of `ids` ids in. */
function scratchFor(ids: number): Scratch {
  const words = new Uint16Array((ids * TAIL_STRIDE) / 2);
  return { random: new Uint8Array(ids * RANDOM_BYTES), words, text: new Uint8Array(words.buffer) };
}
