import { createCommand, createEvent, ManualClock, NEVER_ABORTED } from '@keel/core';
import { describe, expect, it, vi } from 'vitest';
import { isDuplicateHandlerError, isNoHandlerError, NoHandlerError } from '../errors/errors.js';
import type { Middleware } from '../middleware/middleware.js';
import { createCommandBus } from './commandBus.js';

interface Commands {
  Deposit: { data: { amount: number }; result: number };
  Close: { data: { reason: string } };
}

describe('CommandBus', () => {
  it('runs the registered handler and resolves with its result', async () => {
    const bus = createCommandBus<Commands>();
    bus.register('Deposit', (command) => command.data.amount * 2);
    await expect(bus.execute(createCommand('Deposit', { amount: 21 }))).resolves.toBe(42);
  });

  it('rejects a second handler for the same type with a DuplicateHandlerError', () => {
    const bus = createCommandBus<Commands>();
    bus.register('Deposit', () => 1);
    let caught: unknown;
    try {
      bus.register('Deposit', () => 2);
    } catch (error) {
      caught = error;
    }
    expect(isDuplicateHandlerError(caught)).toBe(true);
    expect((caught as Error).message).toContain('"Deposit"');
  });

  it('rejects a command without a handler with a NoHandlerError naming the type', async () => {
    const bus = createCommandBus<Commands>();
    const error = await bus.execute(createCommand('Close', { reason: 'x' })).catch((e: unknown) => e);
    expect(isNoHandlerError(error)).toBe(true);
    expect(error).toBeInstanceOf(NoHandlerError);
    expect((error as NoHandlerError).messageType).toBe('Close');
    expect((error as NoHandlerError).kind).toBe('command');
    expect((error as Error).message).toContain('command "Close"');
  });

  it('lets a disposed registration be replaced', async () => {
    const bus = createCommandBus<Commands>();
    const dispose = bus.register('Deposit', () => 1);
    dispose();
    expect(bus.has('Deposit')).toBe(false);
    bus.register('Deposit', () => 2);
    await expect(bus.send('Deposit', { amount: 0 })).resolves.toBe(2);
  });

  it('rejects with the abort reason and runs nothing when the signal is already aborted', async () => {
    const bus = createCommandBus<Commands>();
    const handler = vi.fn(() => 1);
    bus.register('Deposit', handler);
    const reason = new Error('stop');
    await expect(bus.send('Deposit', { amount: 1 }, { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
    expect(handler).not.toHaveBeenCalled();
  });

  it('rejects with the abort reason when the signal aborts while the handler runs, and aborts its signal', async () => {
    const bus = createCommandBus<Commands>();
    let handlerSignal: AbortSignal | undefined;
    bus.register('Deposit', (_command, { signal }) => {
      handlerSignal = signal;
      return new Promise<number>(() => {});
    });
    const controller = new AbortController();
    const pending = bus.send('Deposit', { amount: 1 }, { signal: controller.signal });
    const reason = new Error('user left');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(handlerSignal?.aborted).toBe(true);
  });

  it("gives each handler call a signal of its own, never core's shared never-aborted one", async () => {
    const bus = createCommandBus<Commands>();
    const seen: AbortSignal[] = [];
    bus.register('Deposit', (_command, { signal }) => {
      seen.push(signal);
      return 1;
    });
    await bus.send('Deposit', { amount: 1 });
    await bus.send('Deposit', { amount: 1 }, { signal: NEVER_ABORTED });
    await bus.execute(createCommand('Deposit', { amount: 1 }), { signal: NEVER_ABORTED });
    expect(seen).toHaveLength(3);
    expect(seen).not.toContain(NEVER_ABORTED);
    expect(new Set(seen).size).toBe(3);
    expect(seen.every((signal) => !signal.aborted)).toBe(true);
  });

  it('turns a handler that throws synchronously into a rejection', async () => {
    const bus = createCommandBus<Commands>();
    const boom = new Error('boom');
    bus.register('Close', () => {
      throw boom;
    });
    await expect(bus.send('Close', { reason: 'x' })).rejects.toBe(boom);
  });

  it('runs middleware in order, each before and after the handler', async () => {
    const trace: string[] = [];
    const step =
      (name: string): Middleware =>
      async (_context, next) => {
        trace.push(`${name}:before`);
        const result = await next();
        trace.push(`${name}:after`);
        return result;
      };
    const bus = createCommandBus<Commands>({ middleware: [step('a'), step('b')] });
    bus.use(step('c'));
    bus.register('Deposit', () => {
      trace.push('handler');
      return 1;
    });
    await bus.send('Deposit', { amount: 1 });
    expect(trace).toEqual(['a:before', 'b:before', 'c:before', 'handler', 'c:after', 'b:after', 'a:after']);
  });

  it('lets a middleware short-circuit so the handler never runs', async () => {
    const handler = vi.fn(() => 1);
    const bus = createCommandBus<Commands>({ middleware: [async () => 99] });
    bus.register('Deposit', handler);
    await expect(bus.send('Deposit', { amount: 1 })).resolves.toBe(99);
    expect(handler).not.toHaveBeenCalled();
  });

  it('lets a middleware replace the message the handler receives', async () => {
    const double: Middleware = (context, next) =>
      next({
        message: {
          ...context.message,
          data: { amount: (context.message.data as { amount: number }).amount * 2 },
        },
      });
    const bus = createCommandBus<Commands>({ middleware: [double] });
    bus.register(
      'Deposit',
      (command, context) =>
        command.data.amount + (context.message.data.amount === command.data.amount ? 0 : 1000),
    );
    await expect(bus.send('Deposit', { amount: 5 })).resolves.toBe(10);
  });

  it('builds the command of send with the bus clock and the given cause', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const bus = createCommandBus<Commands>({ clock });
    const cause = createEvent('Opened', {});
    let seen: { occurredAt: string; causationId?: string; correlationId: string } | undefined;
    bus.register('Close', (command) => {
      seen = command.metadata;
    });
    await bus.send('Close', { reason: 'x' }, { causedBy: cause });
    expect(seen).toMatchObject({
      occurredAt: '2026-01-01T00:00:00.000Z',
      causationId: cause.metadata.messageId,
      correlationId: cause.metadata.correlationId,
    });
  });
});

describe('CommandBus registration', () => {
  it('rejects an empty command type with an InvalidOptionError', () => {
    const bus = createCommandBus();
    expect(() => bus.register('', () => 1)).toThrow(expect.objectContaining({ code: 'CQRS_INVALID_OPTION' }));
  });
});
