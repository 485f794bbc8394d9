import type { Message, Worker, WorkerHealth, WorkerStatus } from '@keel/core';
import type { NatsDelivery, NatsEventTransport, NatsEventTransportOptions } from '@keel/nats';
import { sqlSchema } from '@keel/postgres';
import type { PostgresInbox, SqlExecutor } from '@keel/postgres';
import type { ChaosConfig } from './config.js';

/** The transport options every process of a run shares (publisher and consumers). */
export function natsOptions(config: ChaosConfig): NatsEventTransportOptions {
  return {
    stream: config.stream,
    subjectPrefix: config.subjectPrefix,
    durableName: config.durableName,
    ackWaitMs: config.ackWaitMs,
    // A message whose handler dies with its process comes back after ackWaitMs; never give up on it.
    maxDeliver: 1_000,
    backoffMs: [200, 500, 1_000],
    concurrency: 4,
  };
}

/**
 * A worker that consumes the run's stream with the shared durable consumer and applies each
 * message once through the PostgreSQL inbox: a `deliveries` row for every delivery (outside the
 * transaction), an `applied` journal row inside the inbox's transaction.
 */
export class InboxConsumer implements Worker {
  readonly name = 'inbox-consumer';
  readonly #transport: NatsEventTransport;
  readonly #inbox: PostgresInbox;
  readonly #client: SqlExecutor;
  readonly #schema: ReturnType<typeof sqlSchema>;
  #status: WorkerStatus = 'idle';
  #subscription: { close(): Promise<void> } | undefined;
  #processed = 0;
  #duplicates = 0;
  #error: unknown;

  constructor(transport: NatsEventTransport, inbox: PostgresInbox, client: SqlExecutor, schema: string) {
    this.#transport = transport;
    this.#inbox = inbox;
    this.#client = client;
    this.#schema = sqlSchema(schema);
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.#status = 'starting';
    try {
      this.#subscription = await this.#transport.subscribe(
        (message, delivery) => this.#deliver(message, delivery),
        signal === undefined ? {} : { signal },
      );
      this.#status = 'running';
    } catch (error) {
      this.#status = 'failed';
      this.#error = error;
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.#status === 'stopped') return;
    this.#status = 'stopping';
    await this.#subscription?.close();
    await this.#transport.close();
    this.#status = 'stopped';
  }

  health(): WorkerHealth {
    const error = this.#error instanceof Error ? this.#error.message : undefined;
    return {
      name: this.name,
      status: this.#status,
      healthy: this.#status !== 'failed',
      ready: this.#status === 'running',
      details: { processed: this.#processed, duplicates: this.#duplicates },
      ...(error === undefined ? {} : { error }),
    };
  }

  async #deliver(message: Message, delivery: NatsDelivery): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${this.#schema.table('deliveries')} (message_id, delivery_count, pid) VALUES ($1, $2, $3)`,
      [message.metadata.messageId, delivery.deliveryCount, process.pid],
    );
    const outcome = await this.#inbox.handle(
      message,
      async (_, { tx }) => {
        await tx.query(
          `INSERT INTO ${this.#schema.table('applied')} (message_id, message_type, pid) VALUES ($1, $2, $3)`,
          [message.metadata.messageId, message.type, process.pid],
        );
      },
      { signal: delivery.signal },
    );
    if (outcome.status === 'processed') this.#processed++;
    else this.#duplicates++;
  }
}
