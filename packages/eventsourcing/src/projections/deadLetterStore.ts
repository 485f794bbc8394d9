import { isKeelError, throwIfAborted } from '@keel/core';
import type { SignalOptions } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';

/** The error of a dead letter, in a form that survives serialization. */
export interface DeadLetterError {
  readonly name: string;
  readonly message: string;
  /** The `KeelError` code, when the error had one. */
  readonly code?: string;
  readonly stack?: string;
}

/** An event a projection could not handle, kept for an operator to inspect and replay. */
export interface DeadLetter {
  /** The projection that failed. */
  readonly projection: string;
  /** The event's global position. */
  readonly position: number;
  /** The event itself. */
  readonly event: RecordedEvent;
  /** The last error. */
  readonly error: DeadLetterError;
  /** When it was dead-lettered. */
  readonly failedAt: Date;
}

/** Where poison events go. One letter per projection and position (a second add replaces it). */
export interface DeadLetterStore {
  /** Records a dead letter. */
  add(letter: DeadLetter, options?: SignalOptions): Promise<void>;
  /** The letters of one projection (or all), by position. */
  list(projection?: string, options?: SignalOptions): Promise<readonly DeadLetter[]>;
  /** Removes one letter (after it was fixed or replayed); `true` if it existed. */
  remove(projection: string, position: number, options?: SignalOptions): Promise<boolean>;
}

/** Converts any thrown value into a {@link DeadLetterError}. */
export function toDeadLetterError(error: unknown): DeadLetterError {
  if (!(error instanceof Error)) return { name: 'NonError', message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(isKeelError(error) ? { code: error.code } : {}),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
  };
}

/**
 * A {@link DeadLetterStore} in memory.
 *
 * @example
 * ```ts
 * const deadLetters = new InMemoryDeadLetterStore();
 * ```
 */
export class InMemoryDeadLetterStore implements DeadLetterStore {
  readonly #letters = new Map<string, DeadLetter>();

  async add(letter: DeadLetter, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    this.#letters.set(`${letter.projection}\u0000${letter.position}`, letter);
  }

  async list(projection?: string, options: SignalOptions = {}): Promise<readonly DeadLetter[]> {
    throwIfAborted(options.signal);
    return [...this.#letters.values()]
      .filter((letter) => projection === undefined || letter.projection === projection)
      .sort((a, b) => a.position - b.position);
  }

  async remove(projection: string, position: number, options: SignalOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    return this.#letters.delete(`${projection}\u0000${position}`);
  }
}
