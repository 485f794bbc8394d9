import type { Clock, Policy, Timer } from '@keel/core';
import { abortReason, linkedAbortController } from '@keel/core';

/** How a limited call ended when it did not throw the interruption. */
export type LimitedResult<TResult> =
  { readonly ok: true; readonly value: TResult } | { readonly ok: false; readonly error: unknown };

/** A time limit and the error it fails with. */
export interface Limit {
  readonly at: number;
  readonly error: () => unknown;
}

/**
 * Runs `fn` under `policy`, failing with the limit's error at `limit.at` (even if `fn` ignores
 * its signal). Rejects with the abort reason when `interrupt` aborts, so the caller can tell an
 * interruption (stop, record nothing) from a failure (record it). Leaves no timer or listener.
 */
export async function runLimited<TResult>(
  clock: Clock,
  policy: Policy,
  fn: (signal: AbortSignal) => PromiseLike<TResult> | TResult,
  interrupt: AbortSignal,
  limit: Limit | undefined,
): Promise<LimitedResult<TResult>> {
  if (interrupt.aborted) throw abortReason(interrupt);
  const link = linkedAbortController(interrupt);
  let timer: Timer | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(link.signal));
    link.signal.addEventListener('abort', onAbort, { once: true });
  });
  if (limit !== undefined) {
    const fire = (): void => link.abort(limit.error());
    const remaining = limit.at - clock.now();
    if (remaining <= 0) fire();
    else timer = clock.setTimeout(fire, remaining);
  }
  try {
    const value = await Promise.race([policy.execute(({ signal }) => fn(signal), link.signal), stopped]);
    return { ok: true, value };
  } catch (error) {
    if (interrupt.aborted) throw abortReason(interrupt);
    return { ok: false, error: link.signal.aborted ? abortReason(link.signal) : error };
  } finally {
    timer?.cancel();
    if (onAbort !== undefined) link.signal.removeEventListener('abort', onAbort);
    link.dispose();
  }
}
