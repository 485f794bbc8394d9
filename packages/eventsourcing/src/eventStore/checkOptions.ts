import { describeValue, ValidationError } from '@keel/core';

/**
 * Refuses an options argument that is neither `undefined` nor an object (`null`, an array, a
 * number …) with a `ValidationError`, so every store refuses it alike instead of failing with a
 * `TypeError` on its first option read, or silently using the defaults. Every store calls it
 * before reading any option (the read checks call it themselves).
 *
 * @param options The options argument exactly as the caller passed it.
 * @param subject The method the options belong to, e.g. `appendToStream`.
 * @returns The options, or an empty object for `undefined`.
 * @throws ValidationError when `options` is neither `undefined` nor an object.
 * @example
 * ```ts
 * appendToStream(streamName, events, options = {}) { checkOptionsObject(options, 'appendToStream'); ... }
 * ```
 */
export function checkOptionsObject(options: unknown, subject: string): Readonly<Record<string, unknown>> {
  if (options === undefined) return {};
  if (typeof options === 'object' && options !== null && !Array.isArray(options))
    return options as Record<string, unknown>;
  throw new ValidationError(
    [{ path: [], message: `must be an object or undefined (got ${describeValue(options)}).` }],
    { subject: `${subject} options` },
  );
}
