import { systemClock } from '@keel/core';

/** How long the contract waits for a broker to deliver, in ms (real time, not asserted). */
export const DELIVERY_WAIT_MS = 15_000;

/**
 * Polls `check` until it holds, then resolves; rejects naming `what` after `timeoutMs`. Brokers
 * deliver after `publish` resolves, so the contract waits for outcomes instead of sleeping.
 */
export async function eventually(
  what: string,
  check: () => boolean,
  timeoutMs = DELIVERY_WAIT_MS,
): Promise<void> {
  const deadline = systemClock.now() + timeoutMs;
  while (!check()) {
    if (systemClock.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await systemClock.sleep(5);
  }
}
