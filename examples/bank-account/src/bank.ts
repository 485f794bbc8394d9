import { noopLogger, systemClock } from '@keel/core';
import type { Clock, Logger, Message } from '@keel/core';
import {
  ALL_EVENTS,
  correlationMiddleware,
  createCommandBus,
  createEventBus,
  createQueryBus,
  idempotencyMiddleware,
  InMemoryIdempotencyStore,
  loggingMiddleware,
  validationMiddleware,
} from '@keel/cqrs';
import type { EventBus } from '@keel/cqrs';
import {
  createUpcaster,
  EventSourcedRepository,
  everyNEvents,
  ProjectionRunner,
  withUpcasting,
} from '@keel/eventsourcing';
import type { EventStore } from '@keel/eventsourcing';
import { Account } from './account.js';
import { withCausation } from './causation.js';
import type { AccountEvents } from './account.js';
import { BalancesReadModel } from './balances.js';
import type { BalanceRow } from './balances.js';
import { accountCommandSchemas, registerAccountCommandHandlers } from './commands.js';
import type { AccountCommands } from './commands.js';
import { createInfrastructure } from './infrastructure.js';
import type { Infrastructure } from './infrastructure.js';
import { balanceQuerySchemas, registerBalanceQueryHandlers } from './queries.js';
import type { BalanceQueries } from './queries.js';
import { registerWelcomeBonus } from './welcomeBonus.js';

/**
 * `MoneyDeposited` v1 (an earlier release) stored `{ amount }` in euros; v2 stores
 * `{ amountCents }`. Every reader sees v2.
 */
export const accountUpcaster = createUpcaster({
  MoneyDeposited: [(v1: { amount: number }) => ({ amountCents: Math.round(v1.amount * 100) })],
});

/** Options of {@link createBank}. */
export interface BankOptions {
  /** @default systemClock */
  clock?: Clock;
  /** @default 100 */
  snapshotEvery?: number;
  /** The stores; closed by `close()`. @default the in-memory stores (`createInfrastructure({ engine: 'memory' })`) */
  infrastructure?: Infrastructure;
  /** Receives the command and query buses' log entries. @default noopLogger */
  logger?: Logger;
  /** Told about every event the event bus delivers. @default ignore */
  onEvent?: (event: Message) => void;
  /** Told about every row the read model changes. @default ignore */
  onReadModelUpdate?: (row: BalanceRow, eventType: string) => void;
}

/**
 * Wires the CQRS flow: command bus (correlation, logging, validation, idempotency) → command
 * handlers → `Account` aggregates in an event-sourced repository → events published on the
 * event bus → balances read model → query bus.
 */
export async function createBank(options: BankOptions = {}) {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? noopLogger;
  const infrastructure = options.infrastructure ?? (await createInfrastructure({ clock, engine: 'memory' }));
  const store: EventStore = withCausation(withUpcasting(infrastructure.eventStore, accountUpcaster));
  // Ambient correlation (AsyncLocalStorage): aggregates raise events without knowing the command,
  // so the repository's publishes and withCausation's appends take the cause from the scope, and
  // the welcome bonus (an event handler sending a command whose events publish to this bus) is
  // recognised as nested instead of queueing behind its own event.
  const events = createEventBus<AccountEvents>({
    middleware: [correlationMiddleware({ ambient: true })],
  });
  if (options.onEvent !== undefined) events.subscribe(ALL_EVENTS, options.onEvent, { name: 'narrator' });
  const write = createWriteSide(store, events, infrastructure, { ...options, clock, logger });
  const read = createReadSide(store, events, infrastructure, { ...options, clock, logger });
  registerWelcomeBonus(events, write.commands);
  const close = async () => {
    await read.balancesRunner.stop();
    await events.close();
    await infrastructure.close();
  };
  return { infrastructure, store, events, ...write, ...read, close };
}

/** Everything {@link createBank} wires. */
export type Bank = Awaited<ReturnType<typeof createBank>>;

type SideOptions = BankOptions & { clock: Clock; logger: Logger };

/** The write side: repository (snapshots, publishing to `events`) and the command bus. */
function createWriteSide(
  store: EventStore,
  events: EventBus<AccountEvents>,
  infrastructure: Infrastructure,
  { clock, logger, snapshotEvery = 100 }: SideOptions,
) {
  const snapshots = {
    store: infrastructure.snapshots,
    policy: everyNEvents(snapshotEvery),
    schemaVersion: 1,
    clock,
  };
  const accounts = new EventSourcedRepository(store, (id: string) => new Account(id), {
    snapshots,
    publisher: events,
  });
  const idempotency = new InMemoryIdempotencyStore({ clock });
  const commands = createCommandBus<AccountCommands>({
    clock,
    middleware: [
      correlationMiddleware({ ambient: true }),
      loggingMiddleware(logger, { clock }),
      validationMiddleware(accountCommandSchemas, { requireSchema: true }),
      idempotencyMiddleware({ store: idempotency, clock }),
    ],
  });
  const conflictRetries: string[] = [];
  registerAccountCommandHandlers(commands, accounts, {
    onConflictRetry: (accountId) => conflictRetries.push(accountId),
  });
  return { snapshots, accounts, commands, idempotency, conflictRetries };
}

/** The read side: the read model fed by `events`, its rebuild runner, and the query bus. */
function createReadSide(
  store: EventStore,
  events: EventBus<AccountEvents>,
  infrastructure: Infrastructure,
  { clock, logger, onReadModelUpdate }: SideOptions,
) {
  const balances = new BalancesReadModel(
    onReadModelUpdate === undefined ? {} : { onUpdate: onReadModelUpdate },
  );
  balances.subscribeTo(events);
  const balancesRunner = new ProjectionRunner(store, balances.projection, {
    checkpoints: infrastructure.checkpoints,
    deadLetters: infrastructure.deadLetters,
    clock,
  });
  const queries = createQueryBus<BalanceQueries>({
    clock,
    middleware: [
      correlationMiddleware({ ambient: true }),
      loggingMiddleware(logger, { clock }),
      validationMiddleware(balanceQuerySchemas, { requireSchema: true }),
    ],
  });
  registerBalanceQueryHandlers(queries, balances);
  return { balances, balancesRunner, queries };
}
