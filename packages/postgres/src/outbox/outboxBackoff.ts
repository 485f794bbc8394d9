/**
 * The delay before retry number `attempt` (1 for the first retry): `baseDelayMs` doubled per
 * attempt, capped at `maxDelayMs`. The exponent is capped, so huge attempts never overflow.
 */
export function outboxBackoff(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const exponent = Math.min(Math.max(0, attempt - 1), 52);
  return Math.min(maxDelayMs, baseDelayMs * 2 ** exponent);
}
