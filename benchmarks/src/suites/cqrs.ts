// The message path of @keel/cqrs side by side with @nestjs/cqrs 12 (standalone buses, no Nest
// container) and with direct calls, measured interleaved in one process: message creation,
// command dispatch (execute a prebuilt command, send one built per call; no middleware and the
// three everyday ones) and publishing one event to three handlers, awaited (also through the
// per-stream ordering queue). Rows for a clock read and a freeze show the fixed cost of a message,
// and a hand-written floor shows the least a `send` that keeps Keel's promises can cost.
//
// Promise hooks change what every `await` costs, so their state is controlled and printed: the
// first phase runs with them off (as a process that never entered an AsyncLocalStorage), and
// prints whether Keel switched them on; the second phase switches them on on purpose (as an
// OpenTelemetry context manager does) and measures again.
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createCommand, createEvent, newId, noopLogger, UuidV7Generator } from '@keel/core';
import type { Command, DomainEvent } from '@keel/core';
import {
  correlationMiddleware,
  createCommandBus,
  createEventBus,
  loggingMiddleware,
  validationMiddleware,
} from '@keel/cqrs';
import type { Middleware } from '@keel/cqrs';
import {
  CommandBus as NestCommandBus,
  CommandHandler,
  EventBus as NestEventBus,
  EventsHandler,
} from '@nestjs/cqrs';
import type { ICommandHandler, IEventHandler } from '@nestjs/cqrs';
import { UnhandledExceptionBus } from '@nestjs/cqrs';
import type { ModuleRef } from '@nestjs/core';
import { z } from 'zod';
import { record } from '../harness.js';
import { awaitCost, interleaved, promiseHooksEnabled } from '../interleaved.js';
import type { InterleavedContender } from '../interleaved.js';

interface Commands {
  Deposit: { data: { amount: number }; result: number };
}

/** Operations per measured call: spreads the timer's own cost thin. */
const OPS = 1_000;
const handle = async (command: { data: { amount: number } }): Promise<number> => command.data.amount + 1;
const amountSchema = z.object({ amount: z.number() });
let sink = 0;

function repeat(op: () => unknown): () => void {
  return () => {
    for (let i = 0; i < OPS; i++) op();
  };
}

function repeatAwaited(op: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    for (let i = 0; i < OPS; i++) await op();
  };
}

class DepositCommand {
  constructor(readonly data: { amount: number }) {}
}
class DepositHandler implements ICommandHandler<DepositCommand, number> {
  execute(command: DepositCommand): Promise<number> {
    return handle(command);
  }
}
class DepositedEvent {
  constructor(readonly data: { amount: number }) {}
}
class Projector implements IEventHandler<DepositedEvent> {
  async handle(event: DepositedEvent): Promise<void> {
    sink += event.data.amount;
  }
}

/** A Nest provider wrapper as the module explorer would pass it, for a statically scoped instance. */
function wrapper(metatype: new () => object) {
  return { metatype, instance: new metatype(), isDependencyTreeStatic: () => true };
}

function nestBuses(): { commands: NestCommandBus; events: NestEventBus } {
  CommandHandler(DepositCommand)(DepositHandler);
  const commands = new NestCommandBus({} as ModuleRef);
  commands.register([wrapper(DepositHandler)] as unknown as Parameters<NestCommandBus['register']>[0]);
  class ProjectorA extends Projector {}
  class ProjectorB extends Projector {}
  class ProjectorC extends Projector {}
  for (const handler of [ProjectorA, ProjectorB, ProjectorC]) EventsHandler(DepositedEvent)(handler);
  const events = new NestEventBus(commands, {} as ModuleRef, new UnhandledExceptionBus());
  events.register([wrapper(ProjectorA), wrapper(ProjectorB), wrapper(ProjectorC)] as unknown as Parameters<
    NestEventBus['register']
  >[0]);
  return { commands, events };
}

function everydayMiddleware(): Middleware[] {
  return [
    correlationMiddleware(),
    loggingMiddleware(noopLogger),
    validationMiddleware({ Deposit: amountSchema }),
  ];
}

function keelCommandBus(middleware: readonly Middleware[]) {
  const bus = createCommandBus<Commands>({ middleware });
  bus.register('Deposit', handle);
  return bus;
}

function messageContenders(): InterleavedContender[] {
  const data = { amount: 1 };
  return [
    {
      name: 'new DepositCommand(data) (Nest builds a class instance)',
      fn: repeat(() => new DepositCommand(data)),
    },
    { name: 'crypto.randomUUID()', fn: repeat(() => crypto.randomUUID()) },
    // The fixed parts of every message: one clock read, and two frozen objects (envelope, metadata).
    { name: 'Date.now() (one clock read)', fn: repeat(() => Date.now()) },
    {
      name: 'Object.freeze of a new 4-field object',
      fn: repeat(() => Object.freeze({ messageId: 'm', correlationId: 'm', occurredAt: 't', headers: data })),
    },
    { name: 'keel newId() (UUID v7)', fn: repeat(() => newId()) },
    { name: 'keel createCommand(type, data)', fn: repeat(() => createCommand('Deposit', data)) },
    { name: 'keel createEvent(type, data)', fn: repeat(() => createEvent('Deposited', data)) },
  ];
}

const floorIds = new UuidV7Generator();
const NO_HEADERS = Object.freeze({});
let floorMs = Number.NaN;
let floorIso = '';

/** A command as `send` must build it, written by hand with nothing else: the floor of `send`. */
function floorMessage(input: { amount: number }) {
  const now = Date.now();
  const messageId = floorIds.next(now);
  if (now !== floorMs) {
    floorIso = new Date(now).toISOString();
    floorMs = now;
  }
  const metadata = Object.freeze({
    messageId,
    correlationId: messageId,
    occurredAt: floorIso,
    headers: NO_HEADERS,
  });
  return Object.freeze({ type: 'Deposit', data: amountSchema.parse(input), metadata });
}

function dispatchContenders(nest: NestCommandBus): InterleavedContender[] {
  const command: Command<'Deposit', { amount: number }, number> = createCommand('Deposit', { amount: 1 });
  const nestCommand = new DepositCommand({ amount: 1 });
  const bare = keelCommandBus([]);
  const everyday = keelCommandBus(everydayMiddleware());
  return [
    { name: 'direct call: await handler(command)', fn: repeatAwaited(() => handle(command)) },
    {
      name: 'direct call with zod parse',
      fn: repeatAwaited(() => handle({ data: amountSchema.parse(command.data) })),
    },
    {
      // What validation must do at least: parse, and hand on a frozen message with the parsed data.
      name: 'direct call with zod parse into a frozen message',
      fn: repeatAwaited(() =>
        handle(
          Object.freeze({
            type: command.type,
            data: amountSchema.parse(command.data),
            metadata: command.metadata,
          }),
        ),
      ),
    },
    {
      // The least any send with these promises can cost: one clock read, a UUID v7, frozen
      // metadata, a frozen message with the zod-parsed data, the direct call. No bus, no middleware.
      name: 'floor of send: clock, id, frozen metadata and message, zod parse, direct call',
      fn: repeatAwaited(() => handle(floorMessage({ amount: 1 }))),
    },
    { name: 'keel execute, no middleware', fn: repeatAwaited(() => bare.execute(command)) },
    { name: 'keel execute, correlation + logging + zod', fn: repeatAwaited(() => everyday.execute(command)) },
    { name: 'keel send, no middleware', fn: repeatAwaited(() => bare.send('Deposit', { amount: 1 })) },
    {
      name: 'keel send, correlation + logging + zod',
      fn: repeatAwaited(() => everyday.send('Deposit', { amount: 1 })),
    },
    { name: 'nest execute(prebuilt command)', fn: repeatAwaited(() => nest.execute(nestCommand)) },
    {
      name: 'nest execute(new DepositCommand(data))',
      fn: repeatAwaited(() => nest.execute(new DepositCommand({ amount: 1 }))),
    },
  ];
}

function publishContenders(nest: NestEventBus): InterleavedContender[] {
  const project = async (event: { data: { amount: number } }): Promise<void> => {
    sink += event.data.amount;
  };
  const keel = createEventBus<{ Deposited: { amount: number } }>();
  for (const name of ['a', 'b', 'c']) keel.subscribe('Deposited', project, { name });
  const event: DomainEvent<'Deposited', { amount: number }> = createEvent('Deposited', { amount: 1 });
  // Ordered delivery through the per-stream queue, with the default nesting detection (by causes:
  // no AsyncLocalStorage, so promise hooks stay off).
  const ordered = createEventBus<{ Deposited: { amount: number } }>();
  for (const name of ['a', 'b', 'c']) ordered.subscribe('Deposited', project, { name });
  const streamEvent = createEvent('Deposited', { amount: 1 }, { metadata: { headers: { streamId: 's-1' } } });
  return [
    {
      name: 'by hand: await Promise.all(3 handlers)',
      fn: repeatAwaited(() => Promise.all([project(event), project(event), project(event)])),
    },
    { name: 'keel publish([prebuilt event]), awaited', fn: repeatAwaited(() => keel.publish([event])) },
    {
      name: 'keel publish([prebuilt event with a stream]), ordered, awaited',
      fn: repeatAwaited(() => ordered.publish([streamEvent])),
    },
    {
      name: 'keel publish([createEvent(…)]), awaited',
      fn: repeatAwaited(() => keel.publish([createEvent('Deposited', { amount: 1 })])),
    },
    {
      name: 'nest publish(new DepositedEvent(data)) (handlers not awaited)',
      fn: async () => {
        for (let i = 0; i < OPS; i++) nest.publish(new DepositedEvent({ amount: 1 }));
      },
    },
  ];
}

async function hooksState(when: string): Promise<string[]> {
  const on = await promiseHooksEnabled();
  const cost = await awaitCost();
  const row = [when, on ? 'on' : 'off', cost.toFixed(1)];
  console.log(`promise hooks ${row[1]} ${when}; one plain await costs ${row[2]} ns`);
  return row;
}

async function phase(label: string, nest: ReturnType<typeof nestBuses>, states: string[][]): Promise<void> {
  await interleaved(`cqrs (${label}): create one message`, messageContenders(), { ops: OPS });
  states.push(await hooksState(`after message creation (${label})`));
  await interleaved(`cqrs (${label}): dispatch one command, awaited`, dispatchContenders(nest.commands), {
    ops: OPS,
  });
  states.push(await hooksState(`after command dispatch (${label})`));
  await interleaved(`cqrs (${label}): publish one event to 3 handlers`, publishContenders(nest.events), {
    ops: OPS,
  });
  states.push(await hooksState(`after event publishing (${label})`));
}

export async function run(): Promise<void> {
  const nest = nestBuses();
  const states = [await hooksState('at start')];
  await phase('hooks as Keel leaves them', nest, states);
  // Switch promise hooks on on purpose, as an application with an OpenTelemetry context manager would.
  new AsyncLocalStorage<number>().enterWith(1);
  states.push(await hooksState('after entering an AsyncLocalStorage on purpose'));
  await phase('hooks on', nest, states);
  record(
    'cqrs: promise hooks and the cost of a plain await',
    ['when', 'promise hooks', 'ns per await'],
    states,
  );
  if (sink < 0) console.log(sink);
}
