import { createLogger, ManualClock, NotFoundError } from '@keel/core';
import type { LogEntry } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { loggingMiddleware } from './loggingMiddleware.js';

describe('loggingMiddleware', () => {
  it('logs the start and the handled message with its duration from the clock', async () => {
    const clock = new ManualClock();
    const entries: LogEntry[] = [];
    const bus = createCommandBus({
      middleware: [
        loggingMiddleware(
          createLogger((e) => entries.push(e), { level: 'debug' }),
          { clock },
        ),
      ],
    });
    bus.register('Slow', async () => {
      await clock.sleep(25);
      return 'done';
    });
    const running = bus.send('Slow', {});
    await clock.tickAsync(25);
    await expect(running).resolves.toBe('done');
    expect(entries.map((e) => `${e.level} ${e.message}`)).toEqual([
      'debug Handling command Slow',
      'info Handled command Slow in 25 ms',
    ]);
    expect(entries[1]!.fields).toMatchObject({ kind: 'command', type: 'Slow', durationMs: 25 });
    expect(entries[1]!.fields['messageId']).toEqual(entries[1]!.fields['correlationId']);
  });

  it('logs a failure at error level with its code and rethrows it', async () => {
    const entries: LogEntry[] = [];
    const bus = createCommandBus({
      middleware: [
        loggingMiddleware(
          createLogger((e) => entries.push(e)),
          { clock: new ManualClock() },
        ),
      ],
    });
    const error = new NotFoundError('Account', 'a-1');
    bus.register('Close', () => {
      throw error;
    });
    await expect(bus.send('Close', {})).rejects.toBe(error);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'error',
      message: 'Failed command Close after 0 ms',
      fields: { code: 'NOT_FOUND', error: 'Account "a-1" was not found.' },
    });
  });
});
