import { createEvent, isValidationError, ValidationError } from '@keel/core';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createCommandBus } from '../commandBus/commandBus.js';
import { createEventBus } from '../eventBus/eventBus.js';
import type { EventDeliveryError } from '../errors/errors.js';
import { validationMiddleware } from './validationMiddleware.js';

interface Commands {
  Transfer: { data: { from: string; to: string; amount: number }; result: number };
  Ping: { data: unknown; result: string };
}

const schemas = {
  Transfer: z.object({
    from: z.string().min(1),
    to: z.string().min(1),
    amount: z.coerce.number().positive(),
  }),
};

describe('validationMiddleware', () => {
  it('rejects an invalid command with a ValidationError listing every issue and never runs the handler', async () => {
    const handler = vi.fn(() => 1);
    const bus = createCommandBus<Commands>({ middleware: [validationMiddleware(schemas)] });
    bus.register('Transfer', handler);
    const error = await bus.send('Transfer', { from: '', to: '', amount: -1 }).catch((e: unknown) => e);
    expect(isValidationError(error)).toBe(true);
    expect((error as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual([
      'from',
      'to',
      'amount',
    ]);
    expect((error as Error).message).toContain('Transfer command');
    expect(handler).not.toHaveBeenCalled();
  });

  it('hands the parsed data to the handler', async () => {
    const bus = createCommandBus<Commands>({ middleware: [validationMiddleware(schemas)] });
    bus.register('Transfer', (command) => command.data.amount);
    const amount = await bus.send('Transfer', { from: 'a', to: 'b', amount: '12' as unknown as number });
    expect(amount).toBe(12);
  });

  it("never takes a schema from the record's prototype (constructor, toString, __proto__)", async () => {
    const bus = createCommandBus({ middleware: [validationMiddleware(schemas, { requireSchema: true })] });
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      bus.register(type, () => 'ran');
      for (let call = 0; call < 2; call++) {
        const error = await bus.send(type, {}).catch((e: unknown) => e);
        expect(isValidationError(error), type).toBe(true);
        expect((error as ValidationError).issues[0]!.message).toMatch(/no schema/);
      }
    }
  });

  it('reads the record at each message: schemas added, replaced or removed later count', async () => {
    const record: Record<string, z.ZodType> = {};
    const bus = createCommandBus({ middleware: [validationMiddleware(record, { requireSchema: true })] });
    bus.register('Ping', (command) => command.data);
    await expect(bus.send('Ping', 1)).rejects.toThrow(/no schema/);
    record['Ping'] = z.number();
    await expect(bus.send('Ping', 1)).resolves.toBe(1);
    await expect(bus.send('Ping', 2)).resolves.toBe(2); // the remembered lookup
    record['Ping'] = z.string();
    await expect(bus.send('Ping', 3)).rejects.toSatisfy(isValidationError);
    await expect(bus.send('Ping', 'four')).resolves.toBe('four');
    delete record['Ping'];
    await expect(bus.send('Ping', 'five')).rejects.toThrow(/no schema/);
  });

  it('lets types without a schema through unless a schema is required', async () => {
    const open = createCommandBus<Commands>({ middleware: [validationMiddleware(schemas)] });
    open.register('Ping', () => 'pong');
    await expect(open.send('Ping', {})).resolves.toBe('pong');
    const strict = createCommandBus<Commands>({
      middleware: [validationMiddleware(schemas, { requireSchema: true })],
    });
    strict.register('Ping', () => 'pong');
    await expect(strict.send('Ping', {})).rejects.toThrow(ValidationError);
  });

  it('accepts a function that picks the schema', async () => {
    const bus = createCommandBus<Commands>({
      middleware: [validationMiddleware((message) => (message.type === 'Ping' ? z.string() : undefined))],
    });
    bus.register('Ping', () => 'pong');
    await expect(bus.send('Ping', 42)).rejects.toSatisfy(isValidationError);
  });

  it('keeps an invalid event from every event handler and reports it', async () => {
    const handler = vi.fn();
    const bus = createEventBus({
      middleware: [validationMiddleware({ Deposited: z.object({ amount: z.number() }) })],
    });
    bus.subscribe('Deposited', handler);
    const error = (await bus
      .publish([createEvent('Deposited', { amount: 'x' })])
      .catch((e: unknown) => e)) as EventDeliveryError;
    expect(handler).not.toHaveBeenCalled();
    expect(isValidationError(error.failures[0]!.error)).toBe(true);
  });
});

describe('validationMiddleware with an asynchronous schema', () => {
  it('validates with schemas that resolve asynchronously', async () => {
    const asyncSchema = z
      .object({ amount: z.number() })
      .refine(async (value) => value.amount > 0, 'must be positive');
    const bus = createCommandBus({ middleware: [validationMiddleware({ Pay: asyncSchema })] });
    bus.register('Pay', (command) => command.data);
    await expect(bus.send('Pay', { amount: 2 })).resolves.toEqual({ amount: 2 });
    await expect(bus.send('Pay', { amount: -2 })).rejects.toSatisfy(isValidationError);
  });

  it('runs a synchronous schema once per valid message', async () => {
    const validate = vi.fn((value: unknown) => ({ value }));
    const counted = { '~standard': { version: 1 as const, vendor: 'test', validate } };
    const commands = createCommandBus({ middleware: [validationMiddleware({ Ping: counted })] });
    commands.register('Ping', (command) => command.data);
    await expect(commands.send('Ping', { n: 1 })).resolves.toEqual({ n: 1 });
    expect(validate).toHaveBeenCalledTimes(1);
  });

  it('rejects with every issue of an asynchronous schema, on its first and later messages', async () => {
    const refusing = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: async () => ({ issues: [{ message: 'too late' }, { message: 'too small' }] }),
      },
    };
    const commands = createCommandBus({ middleware: [validationMiddleware({ Ping: refusing })] });
    commands.register('Ping', () => 'pong');
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await commands.send('Ping', {}).catch((caught: unknown) => caught);
      expect(isValidationError(error) && error.issues.map((issue) => issue.message)).toEqual([
        'too late',
        'too small',
      ]);
    }
  });

  it('handles a schema that validated synchronously and then turns asynchronous, once per message from then on', async () => {
    let calls = 0;
    const validate = (value: unknown) => {
      calls++;
      const result = (value as { n: number }).n > 0 ? { value } : { issues: [{ message: 'not positive' }] };
      return calls === 1 ? result : Promise.resolve(result);
    };
    const changing = { '~standard': { version: 1 as const, vendor: 'test', validate } };
    const commands = createCommandBus({ middleware: [validationMiddleware({ Ping: changing })] });
    commands.register('Ping', (command) => command.data);
    await expect(commands.send('Ping', { n: 1 })).resolves.toEqual({ n: 1 });
    expect(calls).toBe(1);
    // Second message: the synchronous attempt returns a promise, then it is validated asynchronously.
    await expect(commands.send('Ping', { n: 2 })).resolves.toEqual({ n: 2 });
    expect(calls).toBe(3);
    // From then on: asynchronously only, once per message, and a refusal still rejects.
    await expect(commands.send('Ping', { n: -1 })).rejects.toSatisfy(isValidationError);
    expect(calls).toBe(4);
  });
});
