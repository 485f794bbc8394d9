import { context } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import type { AnyValue, AnyValueMap, LoggerProvider, Logger as OtelLogger } from '@opentelemetry/api-logs';
import { assertOptions, optionObject, optionOneOf, optionString, withDefaults } from '@keel/core';
import type { LogFields, Logger, LogLevel } from '@keel/core';
import { serializeError, splitError } from './logFields.js';

/** Options of {@link openTelemetryLogger}. */
export interface OpenTelemetryLoggerOptions {
  /** Where records go. @default the global logger provider (`logs.getLoggerProvider()`) */
  loggerProvider?: LoggerProvider | undefined;
  /** The instrumentation scope of the records. @default '@keel/opentelemetry' */
  scope?: string | undefined;
  /** The lowest level that is emitted. @default 'info' */
  level?: LogLevel | undefined;
  /** Attributes added to every record. @default {} */
  bindings?: LogFields | undefined;
}

const LEVELS: readonly LogLevel[] = Object.freeze(['debug', 'info', 'warn', 'error']);
const DEFAULTS = Object.freeze({ scope: '@keel/opentelemetry', level: 'info' as LogLevel, bindings: {} });
const SEVERITY: Readonly<Record<LogLevel, { number: SeverityNumber; text: string }>> = Object.freeze({
  debug: { number: SeverityNumber.DEBUG, text: 'DEBUG' },
  info: { number: SeverityNumber.INFO, text: 'INFO' },
  warn: { number: SeverityNumber.WARN, text: 'WARN' },
  error: { number: SeverityNumber.ERROR, text: 'ERROR' },
});

/**
 * A Keel {@link Logger} that emits OpenTelemetry log records (`@opentelemetry/api-logs`): the
 * message is the body, fields are attributes, the level is the severity number and text, an
 * `Error` under `error` (or `err`) is the record's exception (`exception.type` is a Keel
 * error's `code`), and the active context is attached so the SDK stamps the record with the
 * active span's trace and span ids.
 *
 * @throws ValidationError when an option is invalid.
 * @example
 * ```ts
 * const loggerProvider = new LoggerProvider({ processors: [new BatchLogRecordProcessor(exporter)] });
 * logs.setGlobalLoggerProvider(loggerProvider);
 * const logger = openTelemetryLogger({ level: 'debug' });
 * ```
 */
export function openTelemetryLogger(options: OpenTelemetryLoggerOptions = {}): Logger {
  const settings = withDefaults(DEFAULTS, options);
  assertOptions('openTelemetryLogger', {
    loggerProvider: optionObject(settings.loggerProvider, 'a LoggerProvider', ['getLogger']),
    scope: optionString(settings.scope),
    level: optionOneOf(settings.level, LEVELS),
    bindings: optionObject(settings.bindings, 'an object of fields', []),
  });
  const provider = settings.loggerProvider ?? logs.getLoggerProvider();
  return recordLogger(provider.getLogger(settings.scope), LEVELS.indexOf(settings.level), settings.bindings);
}

function recordLogger(otel: OtelLogger, threshold: number, bindings: LogFields): Logger {
  const write =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (LEVELS.indexOf(level) < threshold) return;
      const severity = SEVERITY[level];
      const active = context.active();
      if (!otel.enabled({ context: active, severityNumber: severity.number })) return;
      const { error, rest } = splitError(fields === undefined ? bindings : { ...bindings, ...fields });
      otel.emit({
        severityNumber: severity.number,
        severityText: severity.text,
        body: message,
        attributes: toAnyValueMap(rest),
        ...(error === undefined ? {} : { exception: error }),
        context: active,
      });
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => recordLogger(otel, threshold, { ...bindings, ...more }),
  };
}

function toAnyValueMap(fields: Readonly<Record<string, unknown>>): AnyValueMap {
  const map: AnyValueMap = {};
  for (const key of Object.keys(fields)) {
    const value = toAnyValue(fields[key], 0);
    if (value !== undefined) map[key] = value;
  }
  return map;
}

const MAX_DEPTH = 8;

/** A log field as an OpenTelemetry `AnyValue`; functions and symbols are left out. */
function toAnyValue(value: unknown, depth: number): AnyValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return value;
  if (value instanceof Error) return toAnyValue(serializeError(value), depth);
  if (Array.isArray(value)) return value.map((item) => toAnyValue(item, depth + 1) ?? null);
  const map: AnyValueMap = {};
  for (const key of Object.keys(value as object)) {
    const item = toAnyValue((value as Record<string, unknown>)[key], depth + 1);
    if (item !== undefined) map[key] = item;
  }
  return map;
}
