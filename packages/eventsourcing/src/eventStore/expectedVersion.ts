/**
 * Expected version: the stream must not exist yet (have no events).
 * Same as the number `0`.
 */
export const NO_STREAM = 'no_stream' as const;

/** Expected version: the stream must already hold at least one event. */
export const STREAM_EXISTS = 'stream_exists' as const;

/** Expected version: no check; append whatever the stream's state. */
export const ANY = 'any' as const;

/**
 * What an append expects the stream's current version to be. A number is the exact version
 * (the count of events in the stream, so `0` means empty), an integer from 0 to 2^53 - 1;
 * otherwise one of the sentinels
 * {@link NO_STREAM}, {@link STREAM_EXISTS} or {@link ANY}.
 */
export type ExpectedVersion = number | typeof NO_STREAM | typeof STREAM_EXISTS | typeof ANY;

/**
 * Whether a stream at `current` version satisfies `expected`.
 *
 * @param expected The expected version of an append.
 * @param current The stream's version (0 when it has no events).
 * @returns `true` when the append may go ahead.
 */
export function matchesExpectedVersion(expected: ExpectedVersion, current: number): boolean {
  switch (expected) {
    case ANY:
      return true;
    case NO_STREAM:
      return current === 0;
    case STREAM_EXISTS:
      return current > 0;
    default:
      return expected === current;
  }
}

/**
 * Whether `value` is a valid {@link ExpectedVersion}: a sentinel or an integer from 0 to
 * 2^53 - 1 (`Number.MAX_SAFE_INTEGER`, the highest version any store can hold or compare
 * exactly; reads refuse a higher `fromVersion` too).
 */
export function isExpectedVersion(value: unknown): value is ExpectedVersion {
  return (
    value === ANY ||
    value === NO_STREAM ||
    value === STREAM_EXISTS ||
    (Number.isSafeInteger(value) && (value as number) >= 0)
  );
}
