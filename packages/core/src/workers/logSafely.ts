import type { LogFields, Logger, LogLevel } from '../logger/logger.js';

/**
 * Logs through `logger`, ignoring whatever it throws: a sink that cannot write (a transport
 * down, an entry with a BigInt it cannot stringify) must never stop a worker, a stop or a signal
 * handler. Internal to core's workers.
 */
export function logSafely(logger: Logger, level: LogLevel, message: string, fields?: LogFields): void {
  try {
    logger[level](message, fields);
  } catch {
    // Nowhere left to report it: logging is the reporting channel that failed.
  }
}
