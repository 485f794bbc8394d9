/**
 * The delay in ms a `Retry-After` header asks for (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date measured against `now`. `undefined` when absent or unreadable; never negative.
 */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
