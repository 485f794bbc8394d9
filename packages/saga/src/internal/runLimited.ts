import type { Clock, Policy, Timer } from '@keel/core';
import { abortReason, linkedAbortController, whenAborted } from '@keel/core';

/** How a limited call ended when it did not throw the interruption. */
export type LimitedResult<TResult> =
  | { readonly ok: true; readonly value: TResult }
  | {
      readonly ok: false;
      readonly error: unknown;
      /**
       * The limit cut the call off while it ran: it may have taken effect (a service can apply a
       * request whose answer came too late), so its outcome is unknown.
       */
      readonly cutOff: boolean;
      /**
       * The call failed because the limit was reached, whenever that was: while it ran (see
       * `cutOff`) or already before it was made.
       */
      readonly expired: boolean;
    };

/** A time limit and the error it fails with. */
export interface Limit {
  readonly at: number;
  readonly error: () => unknown;
}

/** What {@link runLimited} needs besides the call. */
export interface LimitedCall {
  readonly clock: Clock;
  readonly policy: Policy;
  /** Stops the call without recording anything (shutdown, lease loss, caller abort). */
  readonly interrupt: AbortSignal;
  readonly limit: Limit | undefined;
  /** Told about the call's own promise, which may outlive a cut-off, so shutdown can wait for it. */
  readonly track: (call: Promise<unknown>) => void;
}

/**
 * Runs `fn` under `policy`, failing with the limit's error at `limit.at` (even if `fn` ignores
 * its signal). Rejects with the abort reason when `interrupt` aborts, so the caller can tell an
 * interruption (stop, record nothing) from a failure (record it). Leaves no timer or listener.
 */
export async function runLimited<TResult>(
  fn: (signal: AbortSignal) => PromiseLike<TResult> | TResult,
  { clock, policy, interrupt, limit, track }: LimitedCall,
): Promise<LimitedResult<TResult>> {
  if (interrupt.aborted) throw abortReason(interrupt);
  const link = linkedAbortController(interrupt);
  let timer: Timer | undefined;
  let stopFollowing: (() => void) | undefined;
  let cutOff = false;
  let expired = false;
  const stopped = new Promise<never>((_, reject) => {
    stopFollowing = whenAborted(link.signal, () => reject(abortReason(link.signal)));
  });
  if (limit !== undefined) {
    const remaining = limit.at - clock.now();
    // Past the limit already, the call is never made, so nothing can have taken effect.
    if (remaining <= 0) {
      expired = true;
      link.abort(limit.error());
    } else
      timer = clock.setTimeout(() => {
        cutOff = true;
        expired = true;
        link.abort(limit.error());
      }, remaining);
  }
  try {
    const call = policy.execute(({ signal }) => fn(signal), link.signal);
    track(call);
    const value = await Promise.race([call, stopped]);
    return { ok: true, value };
  } catch (error) {
    if (interrupt.aborted) throw abortReason(interrupt);
    return { ok: false, error: link.signal.aborted ? abortReason(link.signal) : error, cutOff, expired };
  } finally {
    timer?.cancel();
    stopFollowing?.();
    link.dispose();
  }
}
