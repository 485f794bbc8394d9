import {
  createCommand,
  installTelemetry,
  isUuid,
  isValidationError,
  ManualClock,
  noopLogger,
  toStorableJson,
} from '@keel/core';
import type { Logger, Message, TelemetryProvider, TelemetrySpan } from '@keel/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { correlationMiddleware } from '../middleware/correlationMiddleware.js';
import { loggingMiddleware } from '../middleware/loggingMiddleware.js';
import type { Middleware } from '../middleware/middleware.js';
import { validationMiddleware } from '../middleware/validationMiddleware.js';
import { createQueryBus } from '../queryBus/queryBus.js';
import { createCommandBus } from './commandBus.js';

interface Commands {
  Deposit: { data: { amount: number }; result: number };
}

const schemas = { Deposit: z.object({ amount: z.number() }) };
const everyday = (): Middleware[] => [
  correlationMiddleware(),
  loggingMiddleware(noopLogger),
  validationMiddleware<Commands>(schemas),
];

/** Whether a message, its metadata and its headers are all frozen. */
function frozen(message: Message): boolean {
  return (
    Object.isFrozen(message) && Object.isFrozen(message.metadata) && Object.isFrozen(message.metadata.headers)
  );
}

/** A command bus whose Deposit handler records the message it receives. */
function recordingBus(middleware: Middleware[]): {
  bus: ReturnType<typeof createCommandBus<Commands>>;
  seen: Message[];
} {
  const seen: Message[] = [];
  const bus = createCommandBus<Commands>({ middleware });
  bus.register('Deposit', (command) => {
    seen.push(command);
    return command.data.amount;
  });
  return { bus, seen };
}

describe('send builds a frozen message', () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => {
    uninstall?.();
    uninstall = undefined;
  });

  it('hands the handler a frozen message when the bus has no middleware', async () => {
    const { bus, seen } = recordingBus([]);
    await expect(bus.send('Deposit', { amount: 1 })).resolves.toBe(1);
    expect(frozen(seen[0]!)).toBe(true);
    expect(isUuid(seen[0]!.metadata.messageId)).toBe(true);
    expect(seen[0]!.metadata.correlationId).toBe(seen[0]!.metadata.messageId);
  });

  it('hands the handler a frozen message with the parsed data through correlation, logging and validation', async () => {
    const { bus, seen } = recordingBus(everyday());
    const input = { amount: 2, extra: 'dropped by the schema' };
    await expect(bus.send('Deposit', input)).resolves.toBe(2);
    expect(frozen(seen[0]!)).toBe(true);
    expect(seen[0]!.data).toEqual({ amount: 2 });
  });

  it('hands a frozen message to a middleware of the user that runs between Keel ones', async () => {
    const sawFrozen: boolean[] = [];
    const audit: Middleware = (context, next) => {
      sawFrozen.push(frozen(context.message));
      return next();
    };
    const [correlation, logging, validation] = everyday();
    const { bus, seen } = recordingBus([correlation!, audit, logging!, validation!]);
    await bus.send('Deposit', { amount: 3 });
    expect(sawFrozen).toEqual([true]);
    expect(frozen(seen[0]!)).toBe(true);
  });

  it('hands a frozen message to a middleware of the user that runs first', async () => {
    const sawFrozen: boolean[] = [];
    const audit: Middleware = (context, next) => {
      sawFrozen.push(frozen(context.message));
      return next();
    };
    const { bus } = recordingBus([audit, ...everyday()]);
    await bus.send('Deposit', { amount: 3 });
    expect(sawFrozen).toEqual([true]);
  });

  it('hands a frozen message to a middleware that runs after validation, and its handler', async () => {
    const sawFrozen: boolean[] = [];
    const audit: Middleware = (context, next) => {
      sawFrozen.push(frozen(context.message));
      return next();
    };
    const { bus, seen } = recordingBus([...everyday(), audit]);
    await bus.send('Deposit', { amount: 4 });
    expect(sawFrozen).toEqual([true]);
    expect(frozen(seen[0]!)).toBe(true);
  });

  it('hands the handler a frozen message when logging writes entries (the full middleware runs)', async () => {
    const entries: string[] = [];
    const write = (text: string): void => {
      entries.push(text);
    };
    const logger: Logger = { debug: write, info: write, warn: write, error: write, child: () => logger };
    const { bus, seen } = recordingBus([loggingMiddleware(logger), validationMiddleware<Commands>(schemas)]);
    await bus.send('Deposit', { amount: 5 });
    expect(entries).toEqual(['Handling command Deposit', expect.stringMatching(/^Handled command Deposit/)]);
    expect(frozen(seen[0]!)).toBe(true);
  });

  it('builds a message of the shape createCommand builds, which JSON, structuredClone and storable JSON keep whole', async () => {
    const { bus, seen } = recordingBus(everyday());
    await bus.send('Deposit', { amount: 8 });
    const message = seen[0]!;
    const made = createCommand('Deposit', { amount: 8 });
    expect(Object.keys(message)).toEqual(Object.keys(made));
    expect(Object.keys(message.metadata)).toEqual(Object.keys(made.metadata));
    expect(JSON.parse(JSON.stringify(message))).toEqual(message);
    expect(structuredClone(message)).toEqual(message);
    expect(JSON.parse(toStorableJson(message, 'the command')!)).toEqual({ ...message });
  });

  it('hands the handler a frozen message while telemetry is installed', async () => {
    uninstall = installTelemetry(passThroughTelemetry());
    const { bus, seen } = recordingBus(everyday());
    await bus.send('Deposit', { amount: 6 });
    expect(frozen(seen[0]!)).toBe(true);
  });

  it('refuses invalid data before any handler runs, with the validation error', async () => {
    const { bus, seen } = recordingBus(everyday());
    await expect(bus.send('Deposit', { amount: 'seven' } as never)).rejects.toThrow(/Deposit command/);
    expect(seen).toEqual([]);
  });

  it('rejects options of the wrong kind with a ValidationError before any handler runs', async () => {
    const { bus, seen } = recordingBus(everyday());
    const sent = bus.send('Deposit', { amount: 1 }, { causedBy: { metadata: {} } as never });
    await expect(sent).rejects.toSatisfy(isValidationError);
    await expect(
      bus.send('Deposit', { amount: 1 }, { metadata: { headers: { n: 1 } } } as never),
    ).rejects.toThrow(/metadata\.headers/);
    expect(seen).toEqual([]);
  });

  it('throws a TypeError at once for a type that is not a non-empty string, as the message factories do', () => {
    const { bus } = recordingBus([]);
    expect(() => bus.send('' as 'Deposit', { amount: 1 })).toThrow(TypeError);
  });

  it('stamps with the bus clock by default and with the clock given to send when there is one', async () => {
    const seen: string[] = [];
    const bus = createCommandBus<Commands>({ clock: new ManualClock(0) });
    bus.register('Deposit', (command) => {
      seen.push(command.metadata.occurredAt);
      return 0;
    });
    await bus.send('Deposit', { amount: 1 });
    await bus.send('Deposit', { amount: 1 }, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    await bus.send('Deposit', { amount: 1 }, { signal: new AbortController().signal });
    expect(seen).toEqual([
      '1970-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
    ]);
  });

  it('builds frozen queries the same way on the query bus', async () => {
    const seen: Message[] = [];
    const queries = createQueryBus<{ Balance: { data: { account: string }; result: number } }>({
      middleware: [
        correlationMiddleware(),
        validationMiddleware({ Balance: z.object({ account: z.string() }) }),
      ],
    });
    queries.register('Balance', (query) => {
      seen.push(query);
      return 0;
    });
    await queries.send('Balance', { account: 'a-1' });
    expect(frozen(seen[0]!)).toBe(true);
  });
});

/** A telemetry provider that runs every span and records nothing. */
function passThroughTelemetry(): TelemetryProvider {
  const span: TelemetrySpan = {
    recording: false,
    setAttributes: () => {},
    addEvent: () => {},
    fail: () => {},
  };
  return {
    span: (_name, _options, fn) => fn(span),
    inject: () => {},
    record: () => {},
  };
}
