/** The JSON form of an error, as {@link KeelError.toJSON} writes it (and each error in its `cause` chain). */
export interface ErrorJson {
  /** The class name, e.g. `ConcurrencyError` or `TypeError`. */
  readonly name: string;
  /** The error's message. */
  readonly message: string;
  /** The stable code of a Keel error, or a driver's code (e.g. `ECONNREFUSED`) when it has one. */
  readonly code?: string | number;
  /** A Keel error's structured details, made safe for JSON. */
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * The errors an `AggregateError` gathers (as `WorkerStartError` and `WorkerStopError` causes
   * do when several workers fail), each in the same form when it is an error.
   */
  readonly errors?: readonly unknown[];
  /**
   * The cause, in the same form when it is an error, else the value made safe for JSON;
   * `'[Circular]'` where the chain refers back to an error already written.
   */
  readonly cause?: unknown;
}

/** How deep nested values and causes are written before `'[Truncated]'` stands for the rest. */
const MAX_DEPTH = 10;

const KEEL_ERROR = Symbol.for('@keel/error');

/**
 * Whether `value` is an `Error`, of this realm or another one (a `vm` context, a test
 * environment), where `instanceof Error` is false: recognised by its internal error slot, which
 * `Object.prototype.toString` reports. Internal to core.
 */
export function isErrorObject(value: unknown): value is Error {
  if (value instanceof Error) return true;
  return (
    typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Error]'
  );
}

/**
 * Writes any error as {@link ErrorJson}: never throws, follows `cause` and an `AggregateError`'s
 * `errors` recursively, writes
 * cycles as `'[Circular]'` and values JSON cannot hold (BigInt, functions, symbols) as strings
 * or not at all. The stack is left out, so the result can be logged or returned as it is.
 */
export function errorToJson(error: Error): ErrorJson {
  return writeError(error, new Set(), 0);
}

function writeError(error: Error, ancestors: Set<object>, depth: number): ErrorJson {
  ancestors.add(error);
  try {
    const fields = error as Error & { code?: unknown; details?: unknown; cause?: unknown; errors?: unknown };
    const json: { -readonly [K in keyof ErrorJson]: ErrorJson[K] } = {
      name: safeString(fields.name, 'Error'),
      message: safeString(fields.message, ''),
    };
    if (typeof fields.code === 'string' || typeof fields.code === 'number') json.code = fields.code;
    if ((error as unknown as Record<symbol, unknown>)[KEEL_ERROR] === true && isRecord(fields.details))
      json.details = writeValue(fields.details, ancestors, depth + 1) as Record<string, unknown>;
    const aggregate = error instanceof AggregateError || json.name === 'AggregateError';
    if (aggregate && Array.isArray(fields.errors))
      json.errors = fields.errors.map((item: unknown) => writeValue(item, ancestors, depth + 1) ?? null);
    if (fields.cause !== undefined) json.cause = writeValue(fields.cause, ancestors, depth + 1);
    return json;
  } catch {
    // An exotic error (a throwing getter, a revoked proxy): keep the log line rather than fail it.
    return { name: 'Error', message: Object.prototype.toString.call(error) };
  } finally {
    ancestors.delete(error);
  }
}

function writeValue(value: unknown, ancestors: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
    case 'undefined':
      return undefined;
    default:
      return writeObject(value as object | null, ancestors, depth);
  }
}

function writeObject(value: object | null, ancestors: Set<object>, depth: number): unknown {
  if (value === null) return null;
  if (ancestors.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[Truncated]';
  if (isErrorObject(value)) return writeError(value, ancestors, depth);
  ancestors.add(value);
  try {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return writeValue(toJSON.call(value), ancestors, depth + 1);
    if (Array.isArray(value)) return value.map((item) => writeValue(item, ancestors, depth + 1) ?? null);
    const json: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const written = writeValue(item, ancestors, depth + 1);
      if (written !== undefined) json[key] = written;
    }
    return json;
  } catch {
    // A throwing getter or toJSON: say what the value was rather than fail the whole log line.
    return Object.prototype.toString.call(value);
  } finally {
    ancestors.delete(value);
  }
}

function safeString(value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return fallback;
  try {
    return String(value);
  } catch {
    return fallback;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
