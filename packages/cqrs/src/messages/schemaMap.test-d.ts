import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createCommandBus } from '../commandBus/commandBus.js';
import { validationMiddleware } from '../middleware/validationMiddleware.js';
import { createQueryBus } from '../queryBus/queryBus.js';
import type { DataOf, InputOf, ResultFor } from './messageMap.js';
import type { MessageMapOf } from './schemaMap.js';

const bankSchemas = {
  Deposit: z.object({ accountId: z.string(), amount: z.coerce.number().positive() }),
  Close: z.object({ accountId: z.string() }),
};
type BankCommands = MessageMapOf<typeof bankSchemas, { Deposit: number }>;

interface HandWritten {
  Deposit: { data: { accountId: string; amount: number } };
}

describe('maps derived from schemas', () => {
  it('give handlers the parsed output, senders the input, and results from the second argument', () => {
    expectTypeOf<DataOf<BankCommands, 'Deposit'>>().toEqualTypeOf<{ accountId: string; amount: number }>();
    expectTypeOf<InputOf<BankCommands, 'Deposit'>>().toEqualTypeOf<{ accountId: string; amount: unknown }>();
    expectTypeOf<ResultFor<BankCommands, 'Deposit'>>().toEqualTypeOf<number>();
    expectTypeOf<ResultFor<BankCommands, 'Close'>>().toEqualTypeOf<void>();
  });

  it('type the bus from the one declaration', () => {
    const commands = createCommandBus<BankCommands>({ middleware: [validationMiddleware(bankSchemas)] });
    commands.register('Deposit', async ({ data }) => {
      expectTypeOf(data.amount).toEqualTypeOf<number>();
      return data.amount;
    });
    expectTypeOf(commands.send('Deposit', { accountId: 'a', amount: '5' })).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error Deposit has no field "amout"
    void commands.send('Deposit', { accountId: 'a', amout: 5 });
    // @ts-expect-error a result of the wrong type
    commands.register('Deposit', async () => 'five');
  });

  it('send data as the map says when it names no input', () => {
    const queries = createQueryBus<HandWritten>();
    expectTypeOf<InputOf<HandWritten, 'Deposit'>>().toEqualTypeOf<{ accountId: string; amount: number }>();
    // @ts-expect-error amount must be a number here
    void queries.send('Deposit', { accountId: 'a', amount: '5' });
  });
});

describe('validationMiddleware with a map', () => {
  it('refuses a schema for a type the map does not have', () => {
    validationMiddleware<HandWritten>({
      // @ts-expect-error Depositt is not a type of the map
      Depositt: z.object({ accountId: z.string(), amount: z.number() }),
    });
  });

  it('refuses a schema whose parsed output is not the type’s data', () => {
    validationMiddleware<HandWritten>({
      // @ts-expect-error amount parses to a string, the map says number
      Deposit: z.object({ accountId: z.string(), amount: z.string() }),
    });
  });

  it('accepts matching schemas, a picker function, and any schemas without a map', () => {
    validationMiddleware<HandWritten>({ Deposit: z.object({ accountId: z.string(), amount: z.number() }) });
    validationMiddleware<HandWritten>(() => undefined);
    validationMiddleware({ Anything: z.object({ x: z.string() }) });
    validationMiddleware<BankCommands>(bankSchemas);
  });
});
