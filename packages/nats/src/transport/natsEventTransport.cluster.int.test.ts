// The transport on a three-node JetStream cluster (started by natsCluster.fixture.ts) while the
// server leading its stream is killed with SIGKILL and restarted. Set KEEL_NATS_CLUSTER_FIGURES=1
// to print the failover figures.
import { createEvent } from '@keel/core';
import type { Logger, Message } from '@keel/core';
import { createEventBus, idempotencyMiddleware } from '@keel/cqrs';
import type { Middleware } from '@keel/cqrs';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEL_HEADERS } from '../codec/headers.js';
import { isNatsSetupError } from '../errors/errors.js';
import { clusterUnavailableReason, NatsCluster } from '../internal/natsCluster.fixture.js';
import { deferred, eventually } from '../internal/natsTestKit.fixture.js';
import { NatsEventTransport } from './natsEventTransport.js';
import type { NatsEventTransportOptions } from './natsTransportOptions.js';

const unavailable = clusterUnavailableReason();
if (unavailable !== undefined) console.warn(`[skip] ${unavailable}: skipping the NATS cluster tests.`);
const printFigures = process.env.KEEL_NATS_CLUSTER_FIGURES === '1';

/** A logger that counts messages by text. */
function countingLogger(): Logger & { count(message: string): number; errors: Set<string> } {
  const counts = new Map<string, number>();
  const errors = new Set<string>();
  const note = (message: string, fields?: Record<string, unknown>): void => {
    counts.set(message, (counts.get(message) ?? 0) + 1);
    if (typeof fields?.['error'] === 'string') errors.add(fields['error']);
  };
  const logger = { debug: note, info: note, warn: note, error: note, child: () => logger };
  return { ...logger, count: (m: string) => counts.get(m) ?? 0, errors };
}

describe.runIf(unavailable === undefined)('NatsEventTransport on a three-node JetStream cluster', () => {
  let cluster: NatsCluster;
  const connections: NatsConnection[] = [];
  const transports: NatsEventTransport[] = [];
  let jsm: JetStreamManager;
  let counter = 0;

  async function connection(): Promise<NatsConnection> {
    const nc = await cluster.connect();
    connections.push(nc);
    return nc;
  }

  async function transport(options: NatsEventTransportOptions = {}): Promise<NatsEventTransport> {
    counter++;
    const result = new NatsEventTransport(await connection(), {
      stream: `CLUSTER_${counter}`,
      subjectPrefix: `keel.cluster${counter}`,
      durableName: `cluster_${counter}`,
      replicas: 3,
      ackWaitMs: 2_000,
      backoffMs: [50, 100],
      publishTimeoutMs: 2_000,
      ...options,
    });
    transports.push(result);
    return result;
  }

  async function leaderOf(stream: string): Promise<string> {
    let leader: string | undefined;
    await eventually(
      `a leader for ${stream}`,
      async () => {
        leader = (await jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader;
        return leader !== undefined && leader !== '';
      },
      30_000,
    );
    return leader!;
  }

  async function allReplicasCurrent(stream: string): Promise<void> {
    await eventually(
      `every replica of ${stream} to be current`,
      async () => {
        const info = await jsm.streams.info(stream).catch(() => undefined);
        const replicas = info?.cluster?.replicas ?? [];
        return replicas.length === 2 && replicas.every((replica) => replica.current && !replica.offline);
      },
      30_000,
    );
  }

  beforeAll(async () => {
    cluster = await NatsCluster.start();
    jsm = await jetstreamManager(await connection(), { timeout: 2_000 });
  });

  afterAll(async () => {
    await Promise.allSettled(transports.map((t) => t.close()));
    await Promise.allSettled(connections.map((nc) => nc.close()));
    await cluster?.stop();
  });

  it('creates the event and dead-letter streams with three replicas', async () => {
    const t = await transport();
    await t.ensureStream();
    for (const stream of [t.options.stream, t.options.deadLetterStream]) {
      const info = await jsm.streams.info(stream);
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas).toHaveLength(2);
    }
  });

  it('runs the cluster guide configuration: replicated ORDERS streams and a round trip', async () => {
    const { connectToCluster } = await import('../readme/cluster.snippet.js');
    const { nc, transport: guide } = await connectToCluster(cluster.servers);
    connections.push(nc);
    transports.push(guide);
    expect((await jsm.streams.info('ORDERS')).config.num_replicas).toBe(3);
    expect((await jsm.streams.info('ORDERS_DLQ')).config.num_replicas).toBe(3);
    const received: string[] = [];
    await guide.subscribe(async (event) => void received.push(event.type));
    await guide.publish([createEvent('OrderPlaced', { orderId: 'o-1' })]);
    await eventually('the order', () => received.length === 1);
    expect(received).toEqual(['OrderPlaced']);
  });

  it('refuses more replicas than the cluster has servers with a NatsSetupError', async () => {
    const t = await transport({ replicas: 5 });
    const error = await t.ensureStream().catch((e: unknown) => e);
    expect(isNatsSetupError(error)).toBe(true);
    expect((error as Error).message).toContain('5 server(s) of the cluster are up');
  });

  it('raises an existing single-replica stream to three replicas, and never lowers them', async () => {
    const single = await transport({ replicas: 1 });
    await single.ensureStream();
    expect((await jsm.streams.info(single.options.stream)).config.num_replicas).toBe(1);
    const replicated = await transport({ ...single.options, replicas: 3 });
    await replicated.ensureStream();
    expect((await jsm.streams.info(single.options.stream)).config.num_replicas).toBe(3);
    // A process configured with fewer replicas does not shrink the shared stream.
    await (await transport({ ...single.options, replicas: 1 })).ensureStream();
    expect((await jsm.streams.info(single.options.stream)).config.num_replicas).toBe(3);
  });

  it('loses no event and applies none twice while the stream leader is killed and restarted', async () => {
    const total = 300;
    const logger = countingLogger();
    const producer = await transport({ logger });
    await producer.ensureStream();
    const { stream } = producer.options;

    const deliveries = new Map<string, number>();
    const effects = new Map<string, number>();
    const countDeliveries: Middleware = async (context, next) => {
      const id = context.message.metadata.messageId;
      deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      return next();
    };
    const consumerBus = createEventBus({ middleware: [countDeliveries] });
    // Delivery is at least once; the idempotency middleware makes each event's effect happen once.
    consumerBus.useForHandlers(idempotencyMiddleware());
    consumerBus.subscribe('Numbered', async (event: Message) => {
      const id = event.metadata.messageId;
      effects.set(id, (effects.get(id) ?? 0) + 1);
    });
    const consumerTransport = await transport({ ...producer.options, logger: undefined });
    await consumerBus.consume(consumerTransport);

    const events = Array.from({ length: total }, (_, n) => createEvent('Numbered', { n }));
    const killed = await leaderOf(stream);
    let killedAt = 0;
    let newLeaderAfterMs = 0;
    let longestPublishMs = 0;
    const failover = async (): Promise<void> => {
      killedAt = Date.now();
      await cluster.kill(killed);
      const leader = await leaderOf(stream);
      newLeaderAfterMs = Date.now() - killedAt;
      expect(leader).not.toBe(killed);
    };
    // Holds the failover's promise in an object, since a promise resolved with a promise adopts it.
    const failing = deferred<{ done: Promise<void> }>();
    // Three producers publish in parallel; the leader dies after 100 events and comes back after 200.
    const lanes = [0, 1, 2].map(async (lane) => {
      for (let i = lane; i < total; i += 3) {
        if (i === 100) failing.resolve({ done: failover() });
        if (i === 200) await (await failing.promise).done.then(() => cluster.restart(killed));
        const started = Date.now();
        await producer.publish([events[i]!]);
        longestPublishMs = Math.max(longestPublishMs, Date.now() - started);
      }
    });
    await Promise.all(lanes);
    await (
      await failing.promise
    ).done;
    await eventually('every event to take effect', () => effects.size === total, 60_000);
    await allReplicasCurrent(stream);

    expect((await jsm.streams.info(stream)).state.messages).toBe(total);
    expect([...effects.values()].every((times) => times === 1)).toBe(true);
    expect(events.every((event) => effects.has(event.metadata.messageId))).toBe(true);
    const delivered = [...deliveries.values()].reduce((sum, n) => sum + n, 0);
    expect(delivered).toBeGreaterThanOrEqual(total);
    if (printFigures) {
      const retries = logger.count('NATS publish not confirmed; retrying with the same message id');
      const duplicates = logger.count('NATS publish retry was a duplicate; JetStream kept the earlier copy');
      console.info(
        `[figures] published ${total}, stored ${total}, publish retries ${retries}, duplicates dropped by JetStream ${duplicates}, ` +
          `deliveries ${delivered} (redelivered ${delivered - total}), applied ${effects.size}, new stream leader after ${newLeaderAfterMs} ms, ` +
          `longest publish ${longestPublishMs} ms; retried errors: ${[...logger.errors].join(' | ')}`,
      );
    }
    await consumerBus.close();
  }, 120_000);

  it('resumes a durable consumer and dead-letters a poison event once across a leader failover', async () => {
    const producer = await transport({ maxDeliver: 3, backoffMs: [200] });
    await producer.ensureStream();
    const { stream, deadLetterStream } = producer.options;
    // Delivery is at least once: an ack the killed leader had not replicated is redelivered, so
    // the handler applies each event once by its number.
    const applied = new Set<number>();
    const handler = async (event: Message): Promise<void> => {
      const { n } = event.data as { n: number };
      if (n === 0) throw new Error('poison');
      applied.add(n);
    };
    const first = await producer.subscribe(handler);
    await producer.publish([0, 1, 2].map((n) => createEvent('Numbered', { n })));
    await eventually('events 1 and 2', () => applied.size === 2);
    await first.close();

    const killed = await leaderOf(stream);
    await cluster.kill(killed);
    await producer.publish([3, 4].map((n) => createEvent('Numbered', { n })));
    const consumer = await transport({ ...producer.options });
    await consumer.subscribe(handler);
    await eventually('events 3 and 4 after the failover', () => applied.size === 4, 60_000);
    const dead = async (): Promise<number> => (await jsm.streams.info(deadLetterStream)).state.messages;
    // The dead-letter stream may be electing a leader too: its info fails until then.
    await eventually('the dead letter', async () => (await dead().catch(() => 0)) >= 1, 60_000);
    await cluster.restart(killed);
    await allReplicasCurrent(stream);
    await allReplicasCurrent(deadLetterStream);

    expect([...applied].sort()).toEqual([1, 2, 3, 4]);
    // A redelivered poison event is dead-lettered again with the same msgID: JetStream keeps one.
    expect(await dead()).toBe(1);
    const letter = await jsm.streams.getMessage(deadLetterStream, { seq: 1 });
    expect(Number(letter?.header.get(KEEL_HEADERS.deliveryCount))).toBeGreaterThanOrEqual(3);
    expect(letter?.header.get(KEEL_HEADERS.originalSequence)).toBe('1');
  }, 120_000);
});
