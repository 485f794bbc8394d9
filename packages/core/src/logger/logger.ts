/** The levels of a {@link Logger}, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured fields attached to a log entry. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * A structured, levelled logger. Keel packages log only through one you pass in (pino, winston
 * and console adapt in a few lines); by default they use {@link noopLogger} and stay silent.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every entry. */
  child(bindings: LogFields): Logger;
  /**
   * Whether entries of `level` are written at all, so callers skip building messages and fields
   * nobody reads. Optional: a logger without it counts as writing every level
   * (see {@link isLogLevelEnabled}).
   */
  isLevelEnabled?(level: LogLevel): boolean;
}

/**
 * Whether `logger` writes entries of `level`: its `isLevelEnabled` answer, or `true` for a
 * logger that does not say.
 *
 * @example
 * ```ts
 * if (isLogLevelEnabled(logger, 'debug')) logger.debug('Loaded', expensiveFields());
 * ```
 */
export function isLogLevelEnabled(logger: Logger, level: LogLevel): boolean {
  return logger.isLevelEnabled === undefined || logger.isLevelEnabled(level);
}

const noop = (): void => {};

/** A logger that discards everything: the default of every Keel package. */
export const noopLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
  isLevelEnabled: () => false,
});

const LEVELS: Readonly<Record<LogLevel, number>> = Object.freeze({
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
});

/** A log entry as handed to a {@link createLogger} sink. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The lowest level that is written. @default 'info' */
  level?: LogLevel;
  /** Fields added to every entry. @default {} */
  bindings?: LogFields;
}

/**
 * Creates a {@link Logger} that filters by level and hands entries to `sink`.
 *
 * @example
 * ```ts
 * const logger = createLogger((entry) => console.log(JSON.stringify(entry)), { level: 'debug' });
 * ```
 */
export function createLogger(sink: (entry: LogEntry) => void, options: LoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const bindings = options.bindings ?? {};
  const write =
    (level: LogLevel) =>
    (message: string, fields: LogFields = {}): void => {
      if (LEVELS[level] >= threshold) sink({ level, message, fields: { ...bindings, ...fields } });
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => createLogger(sink, { ...options, bindings: { ...bindings, ...more } }),
    isLevelEnabled: (level) => LEVELS[level] >= threshold,
  };
}
