import type { LogFields, Logger, LogLevel } from '@keel/core';
import { activeTraceFields, splitError } from './logFields.js';

/** One level method of a pino logger: pino takes the fields first and the message second. */
export type PinoLogMethod = (fields: object, message?: string) => void;

/**
 * The part of a pino logger that {@link pinoLogger} uses. A `pino()` logger (or any child of
 * one) fits as it is; pino is not a dependency of this package.
 */
export interface PinoLike {
  debug: PinoLogMethod;
  info: PinoLogMethod;
  warn: PinoLogMethod;
  error: PinoLogMethod;
  child(bindings: Record<string, unknown>): PinoLike;
  /** When present, entries below pino's level are dropped before any work is done. */
  isLevelEnabled?(level: string): boolean;
}

/**
 * A Keel {@link Logger} that writes through your pino logger, as configured (level,
 * transports, redaction, serializers).
 *
 * - Keel's `(message, fields)` becomes pino's `(fields, message)`.
 * - An `Error` under `error` (or `err`) goes to pino's `err` key, which pino's standard error
 *   serializer writes with its type, message and stack; `Error`s under other keys are written
 *   as `{ type, message, stack, code }`.
 * - When an OpenTelemetry span is active, the entry carries its `trace_id`, `span_id` and
 *   `trace_flags`, so logs and traces join in your backend.
 * - `child(bindings)` is pino's `child`.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const logger = pinoLogger(pino({ level: 'debug' }));
 * const bus = createCommandBus({ logger });
 * ```
 */
export function pinoLogger(pino: PinoLike): Logger {
  if (pino === null || typeof pino !== 'object' || typeof pino.child !== 'function') {
    throw new TypeError('pinoLogger needs a pino logger (an object with debug/info/warn/error and child).');
  }
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (pino.isLevelEnabled !== undefined && !pino.isLevelEnabled(level)) return;
      pino[level](pinoFields(fields), message);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (bindings) => pinoLogger(pino.child(pinoFields(bindings, false))),
  };
}

function pinoFields(fields: LogFields | undefined, withTrace = true): Record<string, unknown> {
  const traceFields = withTrace ? activeTraceFields() : undefined;
  if (fields === undefined) return traceFields === undefined ? {} : { ...traceFields };
  const { error, rest } = splitError(fields);
  if (error !== undefined) rest['err'] = error;
  return traceFields === undefined ? rest : { ...rest, ...traceFields };
}
