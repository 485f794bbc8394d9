import { abortReason, whenAborted } from '@keel/core';

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
 * An aborted flight is forgotten at once, so a caller arriving after it starts a fresh one
 * instead of inheriting the reason of callers who left.
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
    const flight = this.#joinable(key) ?? this.#start(key, work);
    flight.waiters++;
    return signal === undefined ? flight.promise : this.#wait(key, flight, signal);
  }

  /** Starts `work` for `key` unless a flight is already running; nobody waits for it. */
  runDetached(key: TKey, work: (context: FlightContext) => Promise<TValue>): Promise<TValue> {
    const flight = this.#joinable(key) ?? this.#start(key, work);
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

  /** The flight of `key` if it can still deliver a result (its work was not aborted). */
  #joinable(key: TKey): Flight<TValue> | undefined {
    const flight = this.#flights.get(key);
    if (flight === undefined || !flight.controller.signal.aborted) return flight;
    this.invalidate(key);
    return undefined;
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

  #wait(key: TKey, flight: Flight<TValue>, signal: AbortSignal): Promise<TValue> {
    return new Promise<TValue>((resolve, reject) => {
      const stop = whenAborted(signal, () => {
        reject(abortReason(signal));
        if (--flight.waiters > 0 || flight.keepAlive) return;
        // Nobody waits any more: stop the work and forget the flight, so the next caller
        // starts a fresh load rather than joining one that ends with this caller's reason.
        if (this.#flights.get(key) === flight) this.invalidate(key);
        flight.controller.abort(abortReason(signal));
      });
      flight.promise.then(resolve, reject).finally(stop);
    });
  }
}
