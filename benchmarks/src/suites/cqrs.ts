// Dispatch overhead of a command through @keel/cqrs (0 and 3 middlewares) against a direct
// function call (the floor) and @nestjs/cqrs's CommandBus constructed without the Nest container.
import 'reflect-metadata';
import { createCommand, noopLogger } from '@keel/core';
import type { Command, StandardSchemaV1 } from '@keel/core';
import { correlationMiddleware, createCommandBus, loggingMiddleware, validationMiddleware } from '@keel/cqrs';
import type { Middleware } from '@keel/cqrs';
import { CommandBus as NestCommandBus, CommandHandler } from '@nestjs/cqrs';
import type { ICommandHandler } from '@nestjs/cqrs';
import type { ModuleRef } from '@nestjs/core';
import { compare, record } from '../harness.js';

interface Commands {
  Deposit: { data: { amount: number }; result: number };
}

const handle = async (command: { data: { amount: number } }): Promise<number> => command.data.amount + 1;

function keelBus(middleware: readonly Middleware[]) {
  const bus = createCommandBus<Commands>({ middleware });
  bus.register('Deposit', handle);
  return bus;
}

class DepositCommand {
  constructor(readonly data: { amount: number }) {}
}

class DepositHandler implements ICommandHandler<DepositCommand, number> {
  execute(command: DepositCommand): Promise<number> {
    return handle(command);
  }
}

/**
 * Builds @nestjs/cqrs's CommandBus without a Nest application: the decorator is applied by
 * hand, the ModuleRef is unused for statically scoped handlers, and the handler is registered
 * the way the module's explorer would.
 */
function nestBus(): NestCommandBus {
  CommandHandler(DepositCommand)(DepositHandler);
  const bus = new NestCommandBus({} as ModuleRef);
  const wrapper = {
    metatype: DepositHandler,
    instance: new DepositHandler(),
    isDependencyTreeStatic: () => true,
  };
  bus.register([wrapper] as unknown as Parameters<NestCommandBus['register']>[0]);
  return bus;
}

/** A minimal Standard Schema (benchmarks/ has no zod): `{ amount: number }`. */
const amountSchema: StandardSchemaV1<unknown, { amount: number }> = {
  '~standard': {
    version: 1,
    vendor: 'bench',
    validate: (value) =>
      typeof (value as { amount?: unknown } | null)?.amount === 'number'
        ? { value: value as { amount: number } }
        : { issues: [{ message: 'amount must be a number', path: ['amount'] }] },
  },
};

const passThrough: Middleware = (_context, next) => next();

/** Dispatches per measured iteration, so the harness's own per-call cost is spread thin. */
const BATCH = 1_000;

function batch(dispatch: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    for (let i = 0; i < BATCH; i++) await dispatch();
  };
}

export async function run(): Promise<void> {
  const command: Command<'Deposit', { amount: number }, number> = createCommand('Deposit', { amount: 1 });
  const nestCommand = new DepositCommand({ amount: 1 });
  const bare = keelBus([]);
  const three = keelBus([passThrough, passThrough, passThrough]);
  const schemas = { Deposit: amountSchema };
  const realistic = keelBus([
    correlationMiddleware(),
    loggingMiddleware(noopLogger),
    validationMiddleware(schemas),
  ]);
  const nest = nestBus();
  if ((await nest.execute(nestCommand)) !== 2 || (await realistic.execute(command)) !== 2) {
    throw new Error('The contenders disagree on the result.');
  }

  const contenders = [
    { name: 'direct function call (floor)', fn: batch(() => handle(command)) },
    { name: 'keel CommandBus, 0 middleware', fn: batch(() => bare.execute(command)) },
    { name: 'keel CommandBus, 3 pass-through middleware', fn: batch(() => three.execute(command)) },
    {
      name: 'keel CommandBus, correlation + logging + schema validation',
      fn: batch(() => realistic.execute(command)),
    },
    {
      name: '@nestjs/cqrs CommandBus (standalone, 0 middleware)',
      fn: batch(() => nest.execute(nestCommand)),
    },
  ];
  // Warm every contender up before measuring, so the first (the baseline) is not measured cold.
  for (let round = 0; round < 20; round++) for (const contender of contenders) await contender.fn();

  const title = `cqrs: dispatch ${BATCH} commands one after another (async handler, awaited)`;
  const comparison = await compare(title, contenders);
  const floor = 1e9 / (comparison.rows[0]!.opsPerSecond * BATCH);
  record(
    'cqrs: cost per dispatch',
    ['contender', 'ns per dispatch', 'overhead over the direct call'],
    comparison.rows.map((row) => {
      const ns = 1e9 / (row.opsPerSecond * BATCH);
      return [row.name, ns.toFixed(0), `${(ns - floor).toFixed(0)} ns`];
    }),
  );
}
