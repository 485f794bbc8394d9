import { whenAborted } from '@keel/core';
import type { PolicyContext } from '@keel/core';

/**
 * A per-call context whose own `AbortController` is created only when the call reads `signal`
 * (an `AbortController` costs microseconds; a call that never looks at its signal skips it).
 * Aborting before the first read is remembered, so a late reader still sees an aborted signal;
 * once created, the signal follows the parent's abort until {@link LazyScope.dispose}.
 */
export class LazyScope implements PolicyContext {
  readonly #parent: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;
  #unfollow: (() => void) | undefined;

  constructor(parent?: AbortSignal) {
    this.#parent = parent;
  }

  /** This call's signal, created on first read. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) this.#create();
    return this.#controller!.signal;
  }

  /** Whether the scope's signal exists yet (for tests and diagnostics). */
  get created(): boolean {
    return this.#controller !== undefined;
  }

  /** Aborts this scope only (never the parent). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** Stops following the parent. Call it in `finally`. */
  dispose(): void {
    this.#unfollow?.();
    this.#unfollow = undefined;
  }

  #create(): void {
    const controller = new AbortController();
    this.#controller = controller;
    if (this.#aborted) return controller.abort(this.#reason);
    const parent = this.#parent;
    if (parent === undefined) return;
    if (parent.aborted) return this.abort(parent.reason);
    // One shared listener per parent however many calls follow it (see core's `whenAborted`).
    this.#unfollow = whenAborted(parent, () => this.abort(parent.reason));
  }
}
