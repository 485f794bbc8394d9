import { createEvent, systemClock } from '@keel/core';
import type { Message } from '@keel/core';
import { createNatsEventTransport } from '@keel/nats';
import type { NatsDelivery, NatsEventTransport, NatsEventTransportOptions } from '@keel/nats';
import {
  createPostgres,
  KEEL_MIGRATIONS,
  migrate,
  PostgresInbox,
  PostgresOutbox,
  sqlSchema,
} from '@keel/postgres';
import type { Migration, OutboxRelay, SqlClient, SqlSchema, SqlTransaction } from '@keel/postgres';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { CONSUMES, parseEvent, SOURCE_HEADER, sourceOf } from './events.js';
import type { ConsumedBy, EventType, SagaEvent, SagaEventData, ServiceName } from './events.js';
import { durableName, readRunConfig } from './runConfig.js';
import type { RunConfig, ServiceReport } from './runConfig.js';

/** What a service's handler gets besides the event. */
export interface HandlerContext {
  /** The transaction of this delivery: the inbox record, the effects and the outbox commit together. */
  readonly tx: SqlTransaction;
  /** The service's own schema. */
  readonly schema: SqlSchema;
  /** Publishes an event after the transaction commits (through the outbox and its relay). */
  emit<T extends EventType>(type: T, data: SagaEventData[T]): void;
}

/** Handles one event type inside the delivery's transaction. */
export type ServiceHandler<T extends EventType> = (
  event: SagaEvent<T>,
  context: HandlerContext,
) => Promise<void>;

/** A service: its tables and one handler per event type it consumes (the contract in events.ts). */
export interface ServiceDefinition<S extends ServiceName> {
  readonly name: S;
  /** The service's own tables, as `@keel/postgres` migrations (versions 1001 and up). */
  readonly migrations: readonly Migration[];
  readonly handlers: { readonly [T in ConsumedBy<S>]: ServiceHandler<T> };
}

/** A started service; `stop()` finishes the messages in hand and closes every connection. */
export interface RunningService {
  stop(): Promise<void>;
}

/**
 * A journal of applied messages, written in the same transaction as their effects, without a
 * unique key: if a message were ever applied twice, it would show here twice.
 */
export const APPLIED_MESSAGES: Migration = Object.freeze({
  version: 1000,
  name: 'applied_messages',
  sql: (schema: SqlSchema) => `
    CREATE TABLE ${schema.table('applied_messages')} (
      message_id text NOT NULL,
      message_type text NOT NULL,
      order_id text NOT NULL,
      applied_at bigint NOT NULL
    );`,
});

/** The transport options every process of the run shares. */
export function natsOptions(config: RunConfig): NatsEventTransportOptions {
  return {
    stream: config.stream,
    subjectPrefix: config.subjectPrefix,
    ackWaitMs: config.ackWaitMs,
    backoffMs: [200, 500, 1_000],
    maxDeliver: 20,
  };
}

/** What the consuming side needs, in one place. */
interface Host<S extends ServiceName> {
  readonly definition: ServiceDefinition<S>;
  readonly config: RunConfig;
  readonly schema: SqlSchema;
  readonly inbox: PostgresInbox;
  readonly outbox: PostgresOutbox;
  readonly relay: OutboxRelay;
  readonly report: (report: ServiceReport) => void;
  processed: number;
  /** Set once the service holds a message (see RunConfig.holdAfter): it applies nothing more. */
  holding: boolean;
}

/** What a service opened, closed in reverse by {@link closeAll}. */
interface Opened {
  readonly client: SqlClient;
  nc?: NatsConnection;
  publisher?: NatsEventTransport;
  relay?: OutboxRelay;
  readonly consumers: NatsEventTransport[];
}

/**
 * Starts a service: migrates its schema, starts the outbox relay (publishing to JetStream) and
 * one durable consumer per event type it consumes, each delivery going through the inbox.
 */
export async function startService<S extends ServiceName>(
  definition: ServiceDefinition<S>,
  config: RunConfig,
  report: (report: ServiceReport) => void,
): Promise<RunningService> {
  const opened: Opened = {
    client: await createPostgres({ url: config.pgUrl, maxConnections: 4 }),
    consumers: [],
  };
  try {
    const migrations = [...KEEL_MIGRATIONS, APPLIED_MESSAGES, ...definition.migrations];
    await migrate(opened.client, { schema: config.schemas[definition.name], migrations });
    const name = `order-saga-${definition.name}`;
    opened.nc = await connect({ servers: config.natsUrl, name, timeout: 5_000 });
    const host = startPublishing(definition, config, report, opened);
    for (const type of CONSUMES[definition.name]) {
      const consumer = createNatsEventTransport(opened.nc, {
        ...natsOptions(config),
        durableName: durableName(config, definition.name, type),
        filterSubjects: [`${config.subjectPrefix}.${type}`],
      });
      opened.consumers.push(consumer);
      await consumer.subscribe((message, delivery) => deliver(host, message, delivery));
    }
    report({ kind: 'ready', service: definition.name, pid: process.pid });
    return { stop: () => closeAll(opened) };
  } catch (error) {
    await closeAll(opened);
    throw error;
  }
}

/** Starts the outbox relay on a publishing transport; returns what deliveries need. */
function startPublishing<S extends ServiceName>(
  definition: ServiceDefinition<S>,
  config: RunConfig,
  report: (report: ServiceReport) => void,
  opened: Opened,
): Host<S> {
  const schemaName = config.schemas[definition.name];
  const publisher = (opened.publisher = createNatsEventTransport(opened.nc!, natsOptions(config)));
  const outbox = new PostgresOutbox(opened.client, { schema: schemaName });
  const relay = (opened.relay = outbox.createRelay(publisher, {
    pollIntervalMs: config.pollIntervalMs,
    leaseMs: config.leaseMs,
    baseDelayMs: 200,
    maxDelayMs: 2_000,
  }));
  relay.start();
  const inbox = new PostgresInbox(opened.client, definition.name, { schema: schemaName });
  const schema = sqlSchema(schemaName);
  return { definition, config, schema, inbox, outbox, relay, report, processed: 0, holding: false };
}

/** Stops consuming (messages in hand finish or go back), then publishing, then disconnects. */
async function closeAll(opened: Opened): Promise<void> {
  await Promise.allSettled(opened.consumers.map((consumer) => consumer.close()));
  await opened.relay?.stop();
  await opened.publisher?.close();
  await opened.nc?.drain().catch(() => undefined);
  await opened.client.close();
}

/** One delivery: check it, apply it once through the inbox, report it, maybe hold (see RunConfig). */
async function deliver<S extends ServiceName>(
  host: Host<S>,
  message: Message,
  delivery: NatsDelivery,
): Promise<void> {
  if (host.holding) return untilAborted(delivery.signal);
  const event = parseEvent(message);
  const outcome = await host.inbox.handle(event, (_, { tx }) => apply(host, event, tx), {
    signal: delivery.signal,
  });
  if (outcome.status === 'processed') {
    host.processed++;
    host.relay.wake();
  }
  const { name } = host.definition;
  const orderId = event.data.orderId;
  host.report({
    kind: 'delivery',
    from: sourceOf(event),
    to: name,
    type: event.type,
    orderId,
    messageId: event.metadata.messageId,
    status: outcome.status,
    deliveryCount: delivery.deliveryCount,
  });
  if (outcome.status === 'processed' && host.processed === host.config.holdAfter) {
    host.holding = true;
    host.report({ kind: 'holding', service: name, type: event.type, orderId });
    await untilAborted(delivery.signal);
  }
}

/** The delivery's transaction: the handler's effects, the journal row and the outgoing events. */
async function apply<S extends ServiceName>(
  host: Host<S>,
  event: SagaEvent,
  tx: SqlTransaction,
): Promise<void> {
  const { definition, schema, outbox } = host;
  const handlers = definition.handlers as unknown as Partial<Record<EventType, ServiceHandler<EventType>>>;
  const handler = handlers[event.type];
  if (handler === undefined) throw new TypeError(`${definition.name} does not consume ${event.type}.`);
  const outgoing: Message[] = [];
  const emit = <T extends EventType>(type: T, data: SagaEventData[T]): void => {
    const headers = { [SOURCE_HEADER]: definition.name };
    outgoing.push(createEvent(type, data, { causedBy: event, metadata: { headers } }));
  };
  await handler(event, { tx, schema, emit });
  await tx.query(
    `INSERT INTO ${schema.table('applied_messages')} (message_id, message_type, order_id, applied_at)
     VALUES ($1, $2, $3, $4)`,
    [event.metadata.messageId, event.type, event.data.orderId, systemClock.now()],
  );
  await outbox.enqueue(tx, outgoing);
}

/** Waits until `signal` aborts (the subscription closes), then rejects so the event is redelivered. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * The entry point of a service process: reads its {@link RunConfig} from the environment,
 * starts, reports to the launcher over IPC, and stops on SIGTERM, SIGINT or when the launcher
 * goes away (the IPC channel closes). A failed start is reported and exits with code 1.
 */
export async function runServiceProcess<S extends ServiceName>(
  definition: ServiceDefinition<S>,
): Promise<void> {
  const report = (message: ServiceReport): void => {
    if (process.send === undefined) console.log(JSON.stringify(message));
    else if (process.connected) process.send(message);
  };
  let running: RunningService | undefined;
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Never outlive a stuck close: the launcher's bounded waits count on it.
    systemClock.setTimeout(() => process.exit(code), 5_000, { keepAlive: false });
    await running?.stop().catch(() => undefined);
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(0));
  process.once('disconnect', () => void shutdown(0));
  try {
    running = await startService(definition, readRunConfig(), report);
    if (stopping) await running.stop();
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    report({ kind: 'failed', service: definition.name, error: text });
    await shutdown(1);
  }
}
