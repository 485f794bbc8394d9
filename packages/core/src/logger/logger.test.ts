import { describe, expect, it } from 'vitest';
import type { LogEntry } from './logger.js';
import { createLogger, isLogLevelEnabled, noopLogger } from './logger.js';

describe('loggers', () => {
  it('noopLogger accepts every call and its children are silent too', () => {
    expect(() => {
      noopLogger.error('x', { a: 1 });
      noopLogger.child({ b: 2 }).info('y');
    }).not.toThrow();
    expect(noopLogger.child({})).toBe(noopLogger);
  });

  it('createLogger drops entries below its level', () => {
    const entries: LogEntry[] = [];
    const logger = createLogger((entry) => entries.push(entry), { level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(entries.map((entry) => entry.level)).toEqual(['warn', 'error']);
  });

  it('child loggers add their bindings to every entry', () => {
    const entries: LogEntry[] = [];
    const logger = createLogger((entry) => entries.push(entry), { bindings: { service: 'orders' } });
    logger.child({ requestId: 'r-1' }).info('handled', { ms: 3 });
    expect(entries).toEqual([
      { level: 'info', message: 'handled', fields: { service: 'orders', requestId: 'r-1', ms: 3 } },
    ]);
  });

  it('says which levels it writes: none for noopLogger, its level and above for createLogger and its children', () => {
    const logger = createLogger(() => {}, { level: 'warn' });
    const levels = ['debug', 'info', 'warn', 'error'] as const;
    expect(levels.map((level) => isLogLevelEnabled(noopLogger, level))).toEqual([false, false, false, false]);
    expect(levels.map((level) => isLogLevelEnabled(logger, level))).toEqual([false, false, true, true]);
    expect(levels.map((level) => isLogLevelEnabled(logger.child({ a: 1 }), level))).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });

  it('counts a logger that does not say which levels it writes as writing all of them', () => {
    const { isLevelEnabled: _ignored, ...plain } = createLogger(() => {}, { level: 'error' });
    expect(isLogLevelEnabled(plain, 'debug')).toBe(true);
  });
});
