/**
 * A chaos worker process: runs, through one `runWorkers` host, a SagaWorker, a ProjectionDaemon,
 * an OutboxRelayWorker (publishing to NATS JetStream) and an inbox consumer, all
 * on the run's schema and stream. Reports `ready` over IPC; stops gracefully on SIGTERM. The
 * runner kills it with SIGKILL at random moments: nothing here may rely on a clean exit.
 */
import { createLogger, runWorkers, systemClock } from '@keel/core';
import type { Logger, WorkerHost } from '@keel/core';
import { createNatsEventTransport } from '@keel/nats';
import type { NatsEventTransport } from '@keel/nats';
import {
  createPostgres,
  OutboxRelayWorker,
  PostgresEventStore,
  PostgresInbox,
  ProjectionDaemon,
} from '@keel/postgres';
import { PostgresSagaStore } from '@keel/postgres/saga';
import type { SqlClient } from '@keel/postgres';
import { SagaOrchestrator, SagaWorker } from '@keel/saga';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ChaosConfig, WorkerReport } from './config.js';
import { readChaosConfig } from './config.js';
import { InboxConsumer, natsOptions } from './inboxConsumer.js';
import { chaosProjections } from './projections.js';
import { chaosSagas, SagaEffects } from './sagas.js';

/** The environment variable holding the worker's slot number (0 … workers − 1). */
export const CHAOS_SLOT_ENV = 'KEEL_CHAOS_SLOT';

const RELAY_BATCH = 50;

interface Opened {
  client?: SqlClient;
  nc?: NatsConnection;
  publisher?: NatsEventTransport;
  host?: WorkerHost;
}

function stderrLogger(slot: number): Logger {
  return createLogger(
    (entry) => process.stderr.write(`[w${slot} ${process.pid}] ${entry.level} ${entry.message}\n`),
    { level: 'warn' },
  );
}

/** The outbox relay as a worker: one exclusive relay per topic across the processes, by lease. */
function relayWorker(client: SqlClient, publisher: NatsEventTransport, config: ChaosConfig, logger: Logger) {
  return new OutboxRelayWorker(client, publisher, {
    name: 'outbox-relay',
    schema: config.schema,
    relayId: `relay-${process.pid}`,
    batchSize: RELAY_BATCH,
    pollIntervalMs: config.pollMs,
    leaseMs: config.leaseMs,
    ownerTtlMs: config.leaseMs,
    heartbeatMs: config.pollMs,
    baseDelayMs: 200,
    maxDelayMs: 2_000,
    logger,
  });
}

async function startWorkers(config: ChaosConfig, slot: number, opened: Opened): Promise<WorkerHost> {
  const logger = stderrLogger(slot);
  const client = (opened.client = await createPostgres({ url: config.pgUrl, maxConnections: 8, logger }));
  const nc = (opened.nc = await connect({ servers: config.natsUrl, name: `chaos-w${slot}`, timeout: 5_000 }));
  const owner = `w${slot}-${process.pid}`;
  const { schema, leaseMs, pollMs } = config;
  const orchestrator = new SagaOrchestrator(
    new PostgresSagaStore(client, { schema }),
    chaosSagas(new SagaEffects(client, schema)),
    { owner, leaseMs, pollIntervalMs: pollMs, recoverBackoffMs: 200, recoverBackoffMaxMs: 2_000, logger },
  );
  const store = new PostgresEventStore(client, { schema, pollIntervalMs: pollMs });
  const daemon = new ProjectionDaemon(client, store, chaosProjections(schema), {
    schema,
    ownerId: owner,
    leaseTtlMs: leaseMs,
    heartbeatMs: pollMs,
    logger,
  });
  const publisher = (opened.publisher = createNatsEventTransport(nc, natsOptions(config)));
  const inbox = new PostgresInbox(client, config.inboxConsumer, { schema });
  const consumer = new InboxConsumer(
    createNatsEventTransport(nc, natsOptions(config)),
    inbox,
    client,
    schema,
  );
  const workers = [
    new SagaWorker(orchestrator, { recoverEveryMs: pollMs, logger }),
    daemon,
    relayWorker(client, publisher, config, logger),
    consumer,
  ];
  const host = (opened.host = runWorkers(workers, { stopDeadlineMs: 3_000, stopGraceMs: 1_000, logger }));
  await host.whenStarted();
  return host;
}

async function closeAll(opened: Opened): Promise<void> {
  await opened.host?.stop().catch(() => undefined);
  await opened.publisher?.close().catch(() => undefined);
  await opened.nc?.drain().catch(() => undefined);
  await opened.client?.close().catch(() => undefined);
}

async function main(): Promise<void> {
  const config = readChaosConfig();
  const slot = Number(process.env[CHAOS_SLOT_ENV] ?? 0);
  const report = (message: WorkerReport): void => void (process.connected && process.send?.(message));
  const opened: Opened = {};
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Never outlive a stuck stop: the runner's bounded waits count on it.
    systemClock.setTimeout(() => process.exit(code === 0 ? 2 : code), 8_000, { keepAlive: false });
    await closeAll(opened);
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(0));
  process.once('disconnect', () => void shutdown(0));
  try {
    await startWorkers(config, slot, opened);
    report({ kind: 'ready', slot, pid: process.pid });
  } catch (error) {
    report({
      kind: 'failed',
      slot,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    await shutdown(1);
  }
}

await main();
