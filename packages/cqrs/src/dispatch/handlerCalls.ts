/** What the last handler call that succeeded returned. */
export interface HandlerSuccess {
  readonly result: unknown;
}

/**
 * Follows the handler calls made under one middleware (e.g. one idempotency claim), also those
 * a later middleware stopped waiting for (a timeout rejects at once while the handler may run
 * on). The idempotency middleware waits for them before it gives up a claim, so a message is
 * never handled twice at the same time.
 */
export class HandlerCalls {
  readonly #parent: HandlerCalls | undefined;
  #running = 0;
  #success: HandlerSuccess | undefined;
  #idle: Array<() => void> = [];

  constructor(parent?: HandlerCalls) {
    this.#parent = parent;
  }

  /** The last call that resolved, if any did. */
  get success(): HandlerSuccess | undefined {
    return this.#success;
  }

  /** Follows `call` (and reports it to the enclosing tracker too); returns it unchanged. */
  track<T>(call: Promise<T>): Promise<T> {
    this.#parent?.track(call);
    this.#running++;
    call.then(
      (result) => {
        this.#success = { result };
        this.#settled();
      },
      () => this.#settled(),
    );
    return call;
  }

  /** Resolves once no tracked call is running. */
  whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #settled(): void {
    if (--this.#running > 0) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
