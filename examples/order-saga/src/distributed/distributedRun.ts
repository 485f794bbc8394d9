import { createEvent, newId, raceAbort, throwIfAborted, TimeoutError } from '@keel/core';
import type { Clock } from '@keel/core';
import { createNatsEventTransport } from '@keel/nats';
import type { NatsEventTransport } from '@keel/nats';
import { createPostgres, PostgresOutbox, quoteIdentifier } from '@keel/postgres';
import type { SqlClient } from '@keel/postgres';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { CONSUMES, SERVICE_NAMES, SOURCE_HEADER } from './events.js';
import type { ServiceName } from './events.js';
import { durableName } from './runConfig.js';
import type { DeliveryReport, RunConfig, ServiceReport } from './runConfig.js';
import type { ServerUrls } from './servers.js';
import { natsOptions } from './serviceHost.js';
import { ServiceProcess } from './serviceProcess.js';
import { readOutcomes } from './verify.js';
import type { PlannedOrder } from './verify.js';

/** Names unique to one run: schemas, stream and subjects never collide with another run's. */
export function createRunConfig(urls: ServerUrls): RunConfig {
  const runId = `saga_${newId().replaceAll('-', '').slice(-12)}`;
  return {
    runId,
    pgUrl: urls.pgUrl,
    natsUrl: urls.natsUrl,
    schemas: { orders: `${runId}_orders`, inventory: `${runId}_inventory`, payments: `${runId}_payments` },
    stream: `ORDER_SAGA_${runId.toUpperCase()}`,
    subjectPrefix: `order_saga.${runId}`,
    ackWaitMs: 2_000,
    leaseMs: 3_000,
    pollIntervalMs: 250,
  };
}

/**
 * The launcher's side of a run: its connections (only to look and to send orders, never to
 * coordinate), the service processes, and bounded waits. Every wait stops when `signal`
 * aborts; {@link DistributedRun.stage} says what was being waited for.
 */
export class DistributedRun {
  readonly config: RunConfig;
  /** Every message a service reported receiving, in arrival order. */
  readonly deliveries: DeliveryReport[] = [];
  /** The message ids of the orders the storefront sent. */
  readonly sent: string[] = [];
  /** What the run is doing or waiting for, for the timeout error. */
  stage = 'connecting to PostgreSQL and NATS';
  readonly #processes = new Map<ServiceName, ServiceProcess>();
  readonly #expectedExits = new Set<ServiceProcess>();
  readonly #holding = new Map<ServiceName, (report: { type: string; orderId: string }) => void>();
  readonly #signal: AbortSignal;
  readonly #fail: (error: Error) => void;
  readonly #clock: Clock;
  readonly #onReport: (report: ServiceReport) => void;
  #client: SqlClient | undefined;
  #nc: NatsConnection | undefined;
  #jsm: JetStreamManager | undefined;
  #storefront: NatsEventTransport | undefined;

  /**
   * @param fail Ends the run at once (a service died unexpectedly): aborts `signal`.
   */
  constructor(
    config: RunConfig,
    options: {
      signal: AbortSignal;
      fail: (error: Error) => void;
      clock: Clock;
      onReport: (report: ServiceReport) => void;
    },
  ) {
    this.config = config;
    this.#signal = options.signal;
    this.#fail = options.fail;
    this.#clock = options.clock;
    this.#onReport = options.onReport;
  }

  /** Connects to both servers and creates the run's stream (the services create their schemas). */
  async open(): Promise<void> {
    this.#client = await createPostgres({ url: this.config.pgUrl, maxConnections: 2 });
    // Not raced with the signal: a connection that arrived late would be left open. It has its own bound.
    this.#nc = await connect({ servers: this.config.natsUrl, name: 'order-saga-launcher', timeout: 5_000 });
    throwIfAborted(this.#signal);
    this.#jsm = await jetstreamManager(this.#nc);
    this.#storefront = createNatsEventTransport(this.#nc, natsOptions(this.config));
    await this.#storefront.ensureStream({ signal: this.#signal });
  }

  /** The launcher's database connection (for checks). */
  get client(): SqlClient {
    if (this.#client === undefined) throw new Error('The run is not open.');
    return this.#client;
  }

  /** Starts `service` as a process and waits until it consumes; `holdAfter` as in RunConfig. */
  async start(service: ServiceName, holdAfter?: number): Promise<ServiceProcess> {
    this.stage = `waiting for ${service} to start`;
    const config = holdAfter === undefined ? this.config : { ...this.config, holdAfter };
    const child = ServiceProcess.start(service, { config, onReport: (report) => this.#report(report) });
    this.#processes.set(service, child);
    void child.exited.then((exit) => {
      if (this.#expectedExits.has(child)) return;
      const how = exit.signal ?? `exit code ${exit.code}`;
      this.#fail(
        new Error(`${service} (pid ${child.pid}) ended unexpectedly (${how}).${child.stderrTail()}`),
      );
    });
    await raceAbort(child.ready, this.#signal);
    return child;
  }

  /** Resolves when `service` reports it committed a message and holds it unacknowledged. */
  holding(service: ServiceName): Promise<{ type: string; orderId: string }> {
    this.stage = `waiting for ${service} to commit a message and hold it`;
    const held = raceAbort(
      new Promise<{ type: string; orderId: string }>((resolve) => this.#holding.set(service, resolve)),
      this.#signal,
    );
    held.catch(() => undefined); // awaited later; a run that fails before then must not leave it unhandled
    return held;
  }

  /** Kills `service` with SIGKILL and waits until the process is gone. */
  async kill(service: ServiceName): Promise<ServiceProcess> {
    const child = this.#process(service);
    this.stage = `waiting for ${service} (pid ${child.pid}) to die`;
    this.#expectedExits.add(child);
    await child.kill(this.#signal);
    return child;
  }

  /** The storefront sends `orders` (OrderRequested events) straight to JetStream. */
  async send(orders: readonly PlannedOrder[]): Promise<void> {
    this.stage = 'sending orders';
    const events = orders.map(({ orderId, sku, quantity, amount }) =>
      createEvent(
        'OrderRequested',
        { orderId, sku, quantity, amount },
        { metadata: { headers: { [SOURCE_HEADER]: 'storefront' } } },
      ),
    );
    await this.#storefront!.publish(events, { signal: this.#signal });
    this.sent.push(...events.map((event) => event.metadata.messageId));
  }

  /** Polls `check` every 200 ms until it holds; `describe` names the wait (and may show progress). */
  async waitUntil(describe: string, check: () => Promise<boolean>): Promise<void> {
    this.stage = describe;
    while (!(await raceAbort(check(), this.#signal))) await this.#clock.sleep(200, this.#signal);
  }

  /** How many orders the orders service has recorded (whatever their status). */
  async ordersRecorded(): Promise<number> {
    return (await readOutcomes(this.client, this.config)).length;
  }

  /**
   * Whether the run is at rest: every planned order final (a cancelled one with its stock
   * released), every outbox published, every durable consumer with nothing pending or unacked.
   */
  async settled(plan: readonly PlannedOrder[]): Promise<boolean> {
    const outcomes = await readOutcomes(this.client, this.config);
    const final = outcomes.filter(
      (outcome) =>
        outcome.status === 'confirmed' ||
        (outcome.status === 'cancelled' && outcome.reservation !== 'reserved'),
    );
    this.stage = `waiting for every order to settle (${final.length} of ${plan.length} final)`;
    if (final.length < plan.length) return false;
    for (const service of SERVICE_NAMES) {
      const stats = await new PostgresOutbox(this.client, { schema: this.config.schemas[service] }).stats();
      if (stats.pending > 0) return false;
      for (const type of CONSUMES[service]) {
        const info = await this.#jsm!.consumers.info(
          this.config.stream,
          durableName(this.config, service, type),
        );
        if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
      }
    }
    return true;
  }

  /** How many events were dead-lettered (given up on after every redelivery). */
  async deadLetters(): Promise<number> {
    const info = await this.#jsm!.streams.info(this.#storefront!.options.deadLetterStream);
    return info.state.messages;
  }

  /**
   * Stops every service (SIGTERM, SIGKILL after 5 s), drops the run's schemas, deletes its
   * streams and closes the connections, all within `timeoutMs`. Never throws: a run's cleanup
   * must not hide its result; it returns what went wrong instead.
   */
  async close(timeoutMs = 20_000): Promise<string[]> {
    const problems: string[] = [];
    const limit = new AbortController();
    const timer = this.#clock.setTimeout(
      () => limit.abort(new TimeoutError(timeoutMs, { operation: 'Cleaning up the run' })),
      timeoutMs,
    );
    const step = async (what: string, work: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await raceAbort(Promise.resolve(work()), limit.signal);
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const children = [...this.#processes.values()];
    for (const child of children) this.#expectedExits.add(child);
    try {
      await step('stopping the services', () => Promise.all(children.map((child) => child.stop(5_000))));
      for (const schema of Object.values(this.config.schemas)) {
        const drop = `SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`;
        await step(`dropping schema ${schema}`, () => this.#client?.exec(drop));
      }
      await step('closing the storefront transport', () => this.#storefront?.close());
      for (const stream of [this.config.stream, this.#storefront?.options.deadLetterStream]) {
        if (stream !== undefined)
          await step(`deleting stream ${stream}`, () => this.#jsm?.streams.delete(stream));
      }
      await step('closing NATS', () => this.#nc?.close());
      await step('closing PostgreSQL', () => this.#client?.close());
    } finally {
      timer.cancel();
    }
    return problems;
  }

  #process(service: ServiceName): ServiceProcess {
    const child = this.#processes.get(service);
    if (child === undefined) throw new Error(`${service} was never started.`);
    return child;
  }

  #report(report: ServiceReport): void {
    if (report.kind === 'delivery') this.deliveries.push(report);
    if (report.kind === 'holding') this.#holding.get(report.service)?.(report);
    this.#onReport(report);
  }
}
