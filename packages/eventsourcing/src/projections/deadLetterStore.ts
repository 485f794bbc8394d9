import { isKeelError, optionInteger, optionRule, throwIfAborted, toStorableJson } from '@keel/core';
import type { SignalOptions } from '../eventStore/eventStore.js';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { assertValid, textProblem } from '../eventStore/names.js';
import { checkProjectionName, MAX_PROJECTION_NAME_LENGTH } from './checkpointStore.js';

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

/**
 * Where poison events go. One letter per projection and position (a second add replaces it).
 * The event and error are kept as storable JSON by every store (core's `toStorableJson`).
 */
export interface DeadLetterStore {
  /**
   * Records a dead letter.
   *
   * @throws ValidationError when a field is refused (see {@link checkDeadLetter}); nothing is stored.
   * @throws SerializationError (from `@keel/core`) when the event or error cannot be stored.
   */
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
 * Refuses a dead letter no store can keep, with one `ValidationError` listing every problem: a
 * projection name `checkProjectionName` refuses, a `position` that is not an integer from 0 to
 * 2^53 - 1, an `event` that is not an object, or a `failedAt` that is not a valid `Date`. Every
 * dead-letter store calls it first in `add` (the event and error are checked when serialized).
 *
 * @throws ValidationError listing every problem.
 */
export function checkDeadLetter(letter: DeadLetter): void {
  const value = (typeof letter === 'object' && letter !== null ? letter : {}) as Partial<
    Record<keyof DeadLetter, unknown>
  >;
  const { failedAt, event } = value;
  assertValid('dead letter', {
    projection: textProblem(value.projection, { max: MAX_PROJECTION_NAME_LENGTH }),
    position: optionInteger(value.position, { min: 0, required: true }),
    event: optionRule(typeof event === 'object' && event !== null, 'must be the recorded event.'),
    failedAt: optionRule(
      failedAt instanceof Date && !Number.isNaN(failedAt.getTime()),
      'must be a valid Date.',
    ),
  });
}

/**
 * Refuses the key of a dead letter to remove: a projection name `checkProjectionName` refuses,
 * or a position that is not an integer from 0 to 2^53 - 1.
 *
 * @throws ValidationError listing every problem.
 */
export function checkDeadLetterKey(projection: unknown, position: unknown): void {
  assertValid('dead letter', {
    projection: textProblem(projection, { max: MAX_PROJECTION_NAME_LENGTH }),
    position: optionInteger(position, { min: 0, required: true }),
  });
}

/** A dead letter as {@link InMemoryDeadLetterStore} keeps it: event and error as JSON text. */
interface StoredLetter {
  readonly projection: string;
  readonly position: number;
  readonly event: string;
  readonly error: string;
  readonly failedAt: number;
}

/**
 * A {@link DeadLetterStore} in memory. It keeps letters exactly as the PostgreSQL store does,
 * the event and the error as storable JSON (core's `toStorableJson`), so it refuses and changes
 * the same values (a `Date` in the event's data reads back as its ISO string), and it hands out
 * fresh copies.
 *
 * @example
 * ```ts
 * const deadLetters = new InMemoryDeadLetterStore();
 * ```
 */
export class InMemoryDeadLetterStore implements DeadLetterStore {
  readonly #letters = new Map<string, StoredLetter>();

  async add(letter: DeadLetter, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    checkDeadLetter(letter);
    const what = `the dead letter of projection "${letter.projection}" at position ${letter.position}`;
    const stored: StoredLetter = {
      projection: letter.projection,
      position: letter.position,
      event: toStorableJson(letter.event, what) ?? 'null',
      error: toStorableJson(letter.error, what) ?? 'null',
      failedAt: letter.failedAt.getTime(),
    };
    this.#letters.set(`${letter.projection}\u0000${letter.position}`, stored);
  }

  async list(projection?: string, options: SignalOptions = {}): Promise<readonly DeadLetter[]> {
    throwIfAborted(options.signal);
    if (projection !== undefined) checkProjectionName(projection);
    return [...this.#letters.values()]
      .filter((letter) => projection === undefined || letter.projection === projection)
      .sort((a, b) => a.position - b.position || (a.projection < b.projection ? -1 : 1))
      .map(toDeadLetter);
  }

  async remove(projection: string, position: number, options: SignalOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    checkDeadLetterKey(projection, position);
    return this.#letters.delete(`${projection}\u0000${position}`);
  }
}

function toDeadLetter(stored: StoredLetter): DeadLetter {
  const event = JSON.parse(stored.event) as RecordedEvent & { readonly recordedAt: string };
  return {
    projection: stored.projection,
    position: stored.position,
    event: { ...event, recordedAt: new Date(event.recordedAt) },
    error: JSON.parse(stored.error) as DeadLetterError,
    failedAt: new Date(stored.failedAt),
  };
}
