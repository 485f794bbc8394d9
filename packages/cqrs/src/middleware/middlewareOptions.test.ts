import { createLogger, isValidationError, noopPolicy } from '@keel/core';
import type { LogEntry, ValidationError, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCommandBus } from '../commandBus/commandBus.js';
import { loggingMiddleware } from './loggingMiddleware.js';
import { policyMiddleware } from './policyMiddleware.js';
import { validationMiddleware } from './validationMiddleware.js';

function issuesOf(create: () => unknown): string[] {
  try {
    create();
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return (error as ValidationError).issues.map((issue) => issue.path.join('.'));
  }
  return [];
}

describe('validationMiddleware options', () => {
  it('lets types without a schema through when requireSchema is undefined', async () => {
    const bus = createCommandBus({
      middleware: [validationMiddleware({ Other: z.object({}) }, { requireSchema: undefined })],
    });
    bus.register('Ping', () => 'pong');
    await expect(bus.send('Ping', {})).resolves.toBe('pong');
  });

  it('refuses missing schemas and a requireSchema that is not a boolean', () => {
    expect(
      issuesOf(() => validationMiddleware(undefined as never, { requireSchema: 'yes' as never })),
    ).toEqual(['schemas', 'requireSchema']);
  });
});

describe('loggingMiddleware options', () => {
  it('logs the handled entry at info on the system clock when level and clock are undefined', async () => {
    const entries: LogEntry[] = [];
    const logger = createLogger((entry) => entries.push(entry));
    const bus = createCommandBus({
      middleware: [loggingMiddleware(logger, { level: undefined, clock: undefined })],
    });
    bus.register('Ping', () => 'pong');
    await bus.send('Ping', {});
    expect(entries.map((entry) => `${entry.level} ${entry.message}`)).toEqual([
      expect.stringMatching(/^info Handled command Ping in \d+ ms$/),
    ]);
  });

  it('refuses a missing logger, an unknown level and a clock of the wrong kind', () => {
    expect(
      issuesOf(() =>
        loggingMiddleware(undefined as never, { level: 'loud' as never, clock: {} as ManualClock }),
      ),
    ).toEqual(['logger', 'clock', 'level']);
  });
});

describe('policyMiddleware', () => {
  it('accepts any core Policy and refuses anything else at construction', () => {
    expect(issuesOf(() => policyMiddleware(noopPolicy))).toEqual([]);
    expect(issuesOf(() => policyMiddleware(undefined as never))).toEqual(['policy']);
    expect(issuesOf(() => policyMiddleware({ run: () => {} } as never))).toEqual(['policy']);
  });
});
