import { assertOptions, optionNumber } from '@keel/core';

/**
 * The TTL of one `set()` call: a duration in ms >= 0 (`0` or `Infinity`: never expires). Cheap
 * when valid (it runs on every write); otherwise throws core's `ValidationError`.
 */
export function entryTtl(ttl: number, subject: string): number {
  if (ttl >= 0) return ttl;
  assertOptions(subject, { ttl: optionNumber(ttl, { min: 0, infinity: true }) });
  return ttl;
}

/** The size of one entry of a size-bounded cache: a finite number > 0, else a `ValidationError`. */
export function entrySize(size: number, subject: string): number {
  if (size > 0 && size < Infinity) return size;
  assertOptions(subject, { size: optionNumber(size, { min: 0, exclusiveMin: true }) });
  return size;
}
