import {
  assertOptions,
  isKeelError,
  isLogLevelEnabled,
  optionClock,
  optionLogger,
  optionOneOf,
  systemClock,
  withDefaults,
} from '@keel/core';
import type { Clock, Logger, LogLevel } from '@keel/core';
import { withInlineStep } from '../dispatch/compose.js';
import type { MessageContext, Middleware } from './middleware.js';

/** Options of {@link loggingMiddleware}; an option that is `undefined` keeps its default. */
export interface LoggingMiddlewareOptions {
  /** The clock that times handlers. @default systemClock */
  clock?: Clock | undefined;
  /** The level of the "handled" entry (start entries are `debug`, failures `error`). @default 'info' */
  level?: LogLevel | undefined;
}

/** The defaults of {@link LoggingMiddlewareOptions}. */
export const LOGGING_DEFAULTS = Object.freeze({ clock: systemClock as Clock, level: 'info' as LogLevel });

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * Logs each message: `debug` when it starts, then the given level with `durationMs` when it is
 * handled, or `error` with the error's code and message when it fails (the error is rethrown).
 * Every entry carries the kind, type, message, correlation and causation ids. Levels the logger
 * does not write (its `isLevelEnabled`) cost nothing: with none of the three enabled, as with
 * `noopLogger`, the middleware only calls `next()`.
 *
 * @param logger Any core `Logger` (adapt pino or winston in a few lines).
 * @throws {ValidationError} at construction when `logger`, `clock` or `level` is of the wrong kind.
 * @example
 * ```ts
 * const commands = createCommandBus({ middleware: [loggingMiddleware(logger, { clock })] });
 * ```
 */
export function loggingMiddleware(logger: Logger, options: LoggingMiddlewareOptions = {}): Middleware {
  const { clock, level } = withDefaults(LOGGING_DEFAULTS, options);
  assertOptions('loggingMiddleware', {
    logger: optionLogger(logger, { required: true }),
    clock: optionClock(clock, ['now']),
    level: optionOneOf(level, LEVELS),
  });
  const silent = (): boolean =>
    !isLogLevelEnabled(logger, 'debug') &&
    !isLogLevelEnabled(logger, level) &&
    !isLogLevelEnabled(logger, 'error');
  const logging: Middleware = (context, next) => {
    const start = isLogLevelEnabled(logger, 'debug');
    const done = isLogLevelEnabled(logger, level);
    if (!start && !done && !isLogLevelEnabled(logger, 'error')) return next();
    return logAround(logger, clock, { start, done, level }, context, next);
  };
  // In a composed pipeline, a call that logs nothing is one plain check (levels are read per call).
  return withInlineStep(logging, (context) => (silent() ? context.message : undefined));
}

/** Runs `next`, logging the levels that are enabled (failures are checked when they happen). */
async function logAround(
  logger: Logger,
  clock: Clock,
  { start, done, level }: { start: boolean; done: boolean; level: LogLevel },
  context: MessageContext,
  next: () => Promise<unknown>,
): Promise<unknown> {
  const what = `${context.kind} ${context.message.type}`;
  const started = clock.now();
  if (start) logger.debug(`Handling ${what}`, fieldsOf(context, undefined));
  try {
    const result = await next();
    if (done) {
      const durationMs = clock.now() - started;
      logger[level](`Handled ${what} in ${durationMs} ms`, fieldsOf(context, durationMs));
    }
    return result;
  } catch (error) {
    if (isLogLevelEnabled(logger, 'error')) {
      const durationMs = clock.now() - started;
      const fields = fieldsOf(context, durationMs);
      fields['error'] = error instanceof Error ? error.message : String(error);
      if (isKeelError(error)) fields['code'] = error.code;
      logger.error(`Failed ${what} after ${durationMs} ms`, fields);
    }
    throw error;
  }
}

/** Builds the fields literally: object spread is several times slower on hot paths. */
function fieldsOf(context: MessageContext, durationMs: number | undefined): Record<string, unknown> {
  const { metadata } = context.message;
  const fields: Record<string, unknown> = {
    kind: context.kind,
    type: context.message.type,
    messageId: metadata.messageId,
    correlationId: metadata.correlationId,
  };
  if (metadata.causationId !== undefined) fields['causationId'] = metadata.causationId;
  if (context.handler !== undefined) fields['handler'] = context.handler;
  if (durationMs !== undefined) fields['durationMs'] = durationMs;
  return fields;
}
