import { NEVER_ABORTED } from '@keel/core';
import type { PolicyContext } from '@keel/core';

/**
 * Marks a context whose signal can never abort (no caller signal was given). A pipeline hands
 * `undefined` down instead of such a signal, which means the same and costs no `AbortController`.
 */
export const INERT_SIGNAL: unique symbol = Symbol('@keel/resilience.inertSignal');

/** Whether `context`'s signal is known to never abort. */
export function isInert(context: PolicyContext): boolean {
  return (context as { [INERT_SIGNAL]?: boolean })[INERT_SIGNAL] === true;
}

/**
 * A lazy context like core's `LazySignalContext` (a fresh signal of its own, created only when
 * read), marked inert: nobody can abort it, so a pipeline may pass "no signal" down instead. It
 * does not extend core's class: every call without a signal makes one, and a derived class costs
 * more to construct.
 */
export class LazyContext implements PolicyContext {
  #signal: AbortSignal | undefined;

  get signal(): AbortSignal {
    return (this.#signal ??= new AbortController().signal);
  }

  get [INERT_SIGNAL](): boolean {
    return true;
  }
}

/** The context a policy hands down: the caller's signal, or a lazy fresh one nobody aborts. */
export function contextFor(signal: AbortSignal | undefined): PolicyContext {
  return signal === undefined || signal === NEVER_ABORTED ? new LazyContext() : { signal };
}

/** Swallows a rejection we no longer care about (a losing attempt), so it is not unhandled. */
export function ignoreRejection(promise: PromiseLike<unknown>): void {
  Promise.resolve(promise).catch(() => {});
}
