import { KeelError } from '../errors/keelError.js';

/** Undoes a registration. Call it, or use it with `using`. */
export interface Disposer {
  (): void;
  [Symbol.dispose](): void;
}

/** Wraps a cleanup function as a {@link Disposer} that runs at most once. */
export function disposer(cleanup: () => void): Disposer {
  let done = false;
  const dispose = (): void => {
    if (done) return;
    done = true;
    cleanup();
  };
  return Object.assign(dispose, { [Symbol.dispose]: dispose });
}

/** A listener of one event. */
export type Listener<TPayload> = (payload: TPayload) => void;

/** Options of {@link createEmitter}. */
export interface EmitterOptions {
  /**
   * Called when a listener throws. The other listeners still run either way.
   * @default rethrow the errors as one `KeelError` (`LISTENER_FAILED`) after all listeners ran
   */
  onListenerError?: (error: unknown, event: string) => void;
}

/** A small typed event emitter. `TEvents` maps event names to payload types. */
export interface Emitter<TEvents extends object> {
  /** Registers `listener` for `event`; returns a disposer that removes it. */
  on<TName extends keyof TEvents & string>(event: TName, listener: Listener<TEvents[TName]>): Disposer;
  /** Like {@link Emitter.on}, but the listener is removed after its first call. */
  once<TName extends keyof TEvents & string>(event: TName, listener: Listener<TEvents[TName]>): Disposer;
  /** Calls every listener of `event` in registration order. */
  emit<TName extends keyof TEvents & string>(event: TName, payload: TEvents[TName]): void;
  /** How many listeners `event` has, or all events together. */
  listenerCount(event?: keyof TEvents & string): number;
  /** Removes every listener. */
  clear(): void;
}

/**
 * Creates a typed emitter whose registrations return disposers.
 *
 * @example
 * ```ts
 * const events = createEmitter<{ opened: { at: number } }>();
 * const stop = events.on('opened', ({ at }) => log(at));
 * events.emit('opened', { at: 1 });
 * stop();
 * ```
 */
export function createEmitter<TEvents extends object>(options: EmitterOptions = {}): Emitter<TEvents> {
  const listeners = new Map<string, Set<Listener<never>>>();

  const on = <TName extends keyof TEvents & string>(
    event: TName,
    listener: Listener<TEvents[TName]>,
  ): Disposer => {
    // Wrap so the same function registered twice counts (and is removed) twice.
    const entry: Listener<TEvents[TName]> = (payload) => listener(payload);
    let set = listeners.get(event);
    if (set === undefined) listeners.set(event, (set = new Set()));
    set.add(entry as Listener<never>);
    return disposer(() => {
      set.delete(entry as Listener<never>);
      if (set.size === 0 && listeners.get(event) === set) listeners.delete(event);
    });
  };

  return {
    on,
    once(event, listener) {
      const dispose = on(event, (payload) => {
        dispose();
        listener(payload);
      });
      return dispose;
    },
    emit(event, payload) {
      const set = listeners.get(event);
      if (set === undefined) return;
      const errors: unknown[] = [];
      for (const listener of [...set]) {
        try {
          (listener as Listener<typeof payload>)(payload);
        } catch (error) {
          if (options.onListenerError) options.onListenerError(error, event);
          else errors.push(error);
        }
      }
      if (errors.length > 0) {
        throw new KeelError('LISTENER_FAILED', `${errors.length} listener(s) of "${event}" threw.`, {
          cause: errors.length === 1 ? errors[0] : new AggregateError(errors),
        });
      }
    },
    listenerCount(event) {
      if (event !== undefined) return listeners.get(event)?.size ?? 0;
      let total = 0;
      for (const set of listeners.values()) total += set.size;
      return total;
    },
    clear: () => listeners.clear(),
  };
}
