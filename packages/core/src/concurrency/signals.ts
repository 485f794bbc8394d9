import type { PolicyContext } from '../policy/policy.js';

/**
 * A signal that never aborts: nobody holds its controller. Use it where an API needs a signal
 * and the caller gave none, and compare against it (`signal === NEVER_ABORTED`) to skip abort
 * handling that can never matter; core's `raceAbort`, `linkedAbortController` and the queues do.
 *
 * It is shared by everyone, so never leave a listener on it: hand user callbacks a
 * {@link LazySignalContext} instead, which gives each call a signal of its own.
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/**
 * A {@link PolicyContext} whose signal is created only when someone reads it. A call that never
 * looks at its signal costs no `AbortController`; a call that does gets a fresh one of its own
 * (never a signal shared between calls, where the listeners of user code would pile up). Given a
 * signal, it hands that one out instead.
 *
 * Extend it to add fields to a context that keeps this laziness.
 *
 * @example
 * ```ts
 * return fn(new LazySignalContext(callerSignal));
 * ```
 */
export class LazySignalContext implements PolicyContext {
  #signal: AbortSignal | undefined;

  /** @param signal - The caller's signal; when absent, a fresh never-aborted one is made on first read. */
  constructor(signal?: AbortSignal) {
    this.#signal = signal === NEVER_ABORTED ? undefined : signal;
  }

  /** The caller's signal, or a fresh one (created on first read) that never aborts. */
  get signal(): AbortSignal {
    return (this.#signal ??= new AbortController().signal);
  }

  /** The signal if there is one already, without creating one. */
  peekSignal(): AbortSignal | undefined {
    return this.#signal;
  }
}

/**
 * The context to hand a callback: `{ signal }` for a caller's signal, or a
 * {@link LazySignalContext} when there is none (or it is {@link NEVER_ABORTED}), so no
 * `AbortController` is made unless read.
 *
 * @example
 * ```ts
 * async execute(fn, signal) { throwIfAborted(signal); return fn(signalContext(signal)); }
 * ```
 */
export function signalContext(signal: AbortSignal | undefined): PolicyContext {
  return signal === undefined || signal === NEVER_ABORTED ? new LazySignalContext() : { signal };
}
