import { ValidationError } from '@keel/core';

/** A lone UTF-16 surrogate (a code point of category Cs once paired halves are joined). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Refuses a key that is not well-formed UTF-16. Redis keeps keys as bytes and ioredis encodes
 * them as UTF-8, turning every lone surrogate into U+FFFD, so `'k\uD800'` and `'k\uDBFF'` would
 * name one Redis key; refusing them keeps distinct keys distinct, as in the in-memory stores.
 *
 * @param key The caller's key.
 * @param subject What the key names, for the error (`cache key`, `lock key`).
 * @throws ValidationError when `key` holds a lone surrogate.
 */
export function assertWellFormedKey(key: string, subject: string): void {
  if (!LONE_SURROGATE.test(key)) return;
  const message = `${JSON.stringify(key)} contains a lone UTF-16 surrogate, which is not valid Unicode (Redis, and any store keeping keys as UTF-8, would turn it into U+FFFD, the same as other such keys); use a well-formed string.`;
  throw new ValidationError([{ path: [], message }], { subject });
}
