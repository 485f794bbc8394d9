import { isValidationError, ManualClock } from '@keel/core';
import type { ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isInvalidOptionError } from '../errors/errors.js';
import { createQueryBus } from '../queryBus/queryBus.js';
import { createCommandBus } from './commandBus.js';

function issuesOf(create: () => unknown): string[] {
  try {
    create();
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return (error as ValidationError).issues.map((issue) => issue.path.join('.'));
  }
  return [];
}

describe.each([
  ['CommandBus', createCommandBus],
  ['QueryBus', createQueryBus],
] as const)('%s options', (_name, create) => {
  it('keeps the defaults for options given as undefined: no middleware, the system clock', async () => {
    const bus = create({ middleware: undefined, clock: undefined });
    bus.register('Ping', (message) => message.metadata.occurredAt);
    const before = Date.now();
    const occurredAt = (await bus.send('Ping', {})) as string;
    expect(Date.parse(occurredAt)).toBeGreaterThanOrEqual(before - 1);
  });

  it('stamps messages built by send with the given clock', async () => {
    const bus = create({ clock: new ManualClock(0) });
    bus.register('Ping', (message) => message.metadata.occurredAt);
    await expect(bus.send('Ping', {})).resolves.toBe('1970-01-01T00:00:00.000Z');
  });

  it('refuses middleware that are not functions and a clock that is not a Clock', () => {
    expect(issuesOf(() => create({ middleware: [() => Promise.resolve(), 'log' as never] }))).toEqual([
      'middleware',
    ]);
    expect(issuesOf(() => create({ middleware: {} as never, clock: { today: () => 0 } as never }))).toEqual([
      'middleware',
      'clock',
    ]);
  });

  it('takes any clock with now, the only method a bus reads (it stamps the messages send builds)', async () => {
    const bus = create({ clock: { now: () => Date.UTC(2026, 0, 1) } as never });
    bus.register('Ping', (message) => message.metadata.occurredAt);
    await expect(bus.send('Ping', {})).resolves.toBe('2026-01-01T00:00:00.000Z');
  });

  it('refuses a handler that is not a function at registration', () => {
    const bus = create();
    let caught: unknown;
    try {
      bus.register('Ping', 'pong' as never);
    } catch (error) {
      caught = error;
    }
    expect(isInvalidOptionError(caught)).toBe(true);
  });
});
