import { errorToJson, isErrorObject } from './errorJson.js';
import type { ErrorJson } from './errorJson.js';

/** The brand every Keel error carries, shared by all loaded copies of `@keel/core`. */
const KEEL_ERROR = Symbol.for('@keel/error');

/** The JSON form of a {@link KeelError}: what `JSON.stringify(error)` and structured loggers write. */
export interface KeelErrorJson extends ErrorJson {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Options accepted by every {@link KeelError} constructor. */
export interface KeelErrorOptions {
  /** The error or value that caused this one. */
  cause?: unknown;
  /** Structured facts about the failure, safe to log. */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The base class of every error Keel throws: a stable string `code`, an optional `cause`
 * and structured `details`.
 *
 * @example
 * ```ts
 * throw new KeelError('ORDER_LOCKED', 'Order "o-1" is confirmed and cannot change.');
 * ```
 */
export class KeelError extends Error {
  /** A stable identifier of the kind of failure, e.g. `CONCURRENCY_CONFLICT`. */
  readonly code: string;
  /** Structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>>;
  declare readonly [KEEL_ERROR]: true;

  constructor(code: string, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...options.details });
    Object.defineProperty(this, KEEL_ERROR, { value: true, enumerable: false });
  }

  /**
   * The error as JSON, so `JSON.stringify(error)` and structured loggers keep what matters:
   * `name`, `message`, `code`, `details` and the `cause` chain (errors in the same form, those
   * of another realm included, with each of an `AggregateError`'s `errors`; other values made
   * safe for JSON; cycles written as `'[Circular]'`). The stack is left out.
   *
   * @example
   * ```ts
   * JSON.stringify(new NotFoundError('Order', 'o-1'));
   * // {"name":"NotFoundError","message":"Order \"o-1\" was not found.","code":"NOT_FOUND","details":{"kind":"Order","id":"o-1"}}
   * ```
   */
  toJSON(): KeelErrorJson {
    const json = errorToJson(this);
    return { ...json, code: this.code, details: json.details ?? {} };
  }
}

/**
 * Whether `value` is a {@link KeelError}, optionally with the given code. Works across two
 * loaded copies of `@keel/core`, where `instanceof` does not.
 */
export function isKeelError(value: unknown, code?: string): value is KeelError {
  if (typeof value !== 'object' || value === null) return false;
  const branded = (value as Record<symbol, unknown>)[KEEL_ERROR] === true;
  if (!branded || typeof (value as { code?: unknown }).code !== 'string') return false;
  return code === undefined || (value as KeelError).code === code;
}

/**
 * Turns any thrown value into an `Error`: errors pass through (those of another realm, such as a
 * `vm` context, included), anything else is wrapped in a `KeelError` with code `UNKNOWN_ERROR`
 * and the value as `cause`.
 */
export function toError(value: unknown): Error {
  if (isErrorObject(value)) return value;
  return new KeelError('UNKNOWN_ERROR', `A non-error value was thrown: ${describe(value)}`, { cause: value });
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
