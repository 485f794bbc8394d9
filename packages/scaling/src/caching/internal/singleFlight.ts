import { abortReason } from '@keel/core';

interface Flight<TValue> {
  readonly promise: Promise<TValue>;
  readonly controller: AbortController;
  waiters: number;
  /** Set for background refreshes: nobody waits, but the work must finish. */
  keepAlive: boolean;
  /** Cleared when the key is invalidated mid-flight, so a stale result is not stored. */
  current: boolean;
}

/** What a flight's work receives: a signal, and whether its key was invalidated meanwhile. */
export interface FlightContext {
  readonly signal: AbortSignal;
  /** False once the key was invalidated after this flight started: do not cache the result. */
  isCurrent(): boolean;
}

/**
 * Collapses concurrent calls for one key into one execution (Go's singleflight): every caller
 * gets the same result or the same error. A caller whose signal aborts stops waiting alone; the
 * work is aborted only when every caller has left (and none asked for it to run to the end).
 */
export class SingleFlight<TKey, TValue> {
  readonly #flights = new Map<TKey, Flight<TValue>>();

  /** How many keys have work in flight. */
  get size(): number {
    return this.#flights.size;
  }

  /** Joins the flight of `key`, starting `work` if there is none, and waits for its result. */
  run(key: TKey, work: (context: FlightContext) => Promise<TValue>, signal?: AbortSignal): Promise<TValue> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const flight = this.#flights.get(key) ?? this.#start(key, work);
    flight.waiters++;
    return signal === undefined ? flight.promise : this.#wait(flight, signal);
  }

  /** Starts `work` for `key` unless a flight is already running; nobody waits for it. */
  runDetached(key: TKey, work: (context: FlightContext) => Promise<TValue>): Promise<TValue> {
    const flight = this.#flights.get(key) ?? this.#start(key, work);
    flight.keepAlive = true;
    return flight.promise;
  }

  /** Detaches the running flight of `key`: later calls start afresh and its result is not current. */
  invalidate(key: TKey): void {
    const flight = this.#flights.get(key);
    if (flight === undefined) return;
    flight.current = false;
    this.#flights.delete(key);
  }

  #start(key: TKey, work: (context: FlightContext) => Promise<TValue>): Flight<TValue> {
    const controller = new AbortController();
    const flight: Flight<TValue> = {
      controller,
      waiters: 0,
      keepAlive: false,
      current: true,
      promise: Promise.resolve()
        .then(() =>
          work({ signal: controller.signal, isCurrent: () => flight.current && !controller.signal.aborted }),
        )
        .finally(() => {
          if (this.#flights.get(key) === flight) this.#flights.delete(key);
        }),
    };
    // Waiters observe the outcome through their own promises; this one must not be reported as unhandled.
    flight.promise.catch(() => {});
    this.#flights.set(key, flight);
    return flight;
  }

  #wait(flight: Flight<TValue>, signal: AbortSignal): Promise<TValue> {
    return new Promise<TValue>((resolve, reject) => {
      const onAbort = (): void => {
        reject(abortReason(signal));
        if (--flight.waiters === 0 && !flight.keepAlive) flight.controller.abort(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}
