import { optionInteger } from '@keel/core';
import type { OptionProblem } from '@keel/core';

/**
 * The longest duration an outbox option takes, in ms: 2^52 (about 142,000 years), so an epoch-ms
 * time plus or minus it stays an exact integer that the `bigint` time columns hold.
 */
export const OUTBOX_MAX_MS = 2 ** 52;

/** The longest wait a timer takes, in ms (about 24.8 days): the bound of the worker's intervals. */
export const OUTBOX_MAX_TIMER_MS = 2_147_483_647;

/**
 * Checks a duration option of the outbox, its relay or its worker: whole milliseconds from `min`
 * to `max`, because every time the outbox stores is an integer number of epoch ms. `undefined`
 * passes unless `required`.
 */
export function optionMs(value: unknown, min: number, max = OUTBOX_MAX_MS, required = false): OptionProblem {
  return optionInteger(value, { min, max, required });
}
