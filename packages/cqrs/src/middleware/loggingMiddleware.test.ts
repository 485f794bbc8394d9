import { createLogger, isNotFoundError, ManualClock, NotFoundError } from '@keel/core';
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

  it('reads no clock and builds no entry for a logger that writes none of its levels', async () => {
    let clockReads = 0;
    const clock = Object.assign(new ManualClock(0), { now: () => clockReads++ });
    const unused = () => {
      throw new Error('nothing should be logged');
    };
    const silent = {
      debug: unused,
      info: unused,
      warn: unused,
      error: unused,
      child: unused,
      isLevelEnabled: () => false,
    };
    const commands = createCommandBus({ middleware: [loggingMiddleware(silent, { clock })] });
    commands.register('Open', () => 'opened');
    await expect(commands.send('Open', {})).resolves.toBe('opened');
    expect(clockReads).toBe(0);
  });

  it('logs only the failures when the logger writes errors but not the handled level', async () => {
    const entries: LogEntry[] = [];
    const commands = createCommandBus({
      middleware: [loggingMiddleware(createLogger((e) => entries.push(e), { level: 'error' }))],
    });
    commands.register('Open', () => 'opened');
    commands.register('Close', () => {
      throw new NotFoundError('Account', 'a-1');
    });
    await commands.send('Open', {});
    await expect(commands.send('Close', {})).rejects.toSatisfy(isNotFoundError);
    expect(entries.map((entry) => [entry.level, entry.fields['type']])).toEqual([['error', 'Close']]);
  });

  it('reads the levels on every message, so a logger switched on at run time logs from then on', async () => {
    const entries: string[] = [];
    let enabled = false;
    const record = (message: string) => void entries.push(message);
    const switchable = {
      debug: record,
      info: record,
      warn: record,
      error: record,
      child: () => switchable,
      isLevelEnabled: () => enabled,
    };
    const commands = createCommandBus({
      middleware: [loggingMiddleware(switchable, { clock: new ManualClock() })],
    });
    commands.register('Open', () => 'opened');
    await commands.send('Open', {});
    enabled = true;
    await commands.send('Open', {});
    expect(entries).toEqual(['Handling command Open', 'Handled command Open in 0 ms']);
  });
});
