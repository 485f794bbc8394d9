// Helpers for this package's integration tests only (not exported from the package).
import { uniqueName, serviceUrl } from '@keel/test-services';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { NatsEventTransport } from '../transport/natsEventTransport.js';
import type { NatsEventTransportOptions } from '../transport/natsTransportOptions.js';

/** Opens NATS connections and transports on unique streams, and removes them all in `cleanup`. */
export class NatsTestKit {
  readonly #connections: NatsConnection[] = [];
  readonly #streams = new Set<string>();
  readonly #transports: NatsEventTransport[] = [];

  /** A new connection to the test server, closed by {@link NatsTestKit.cleanup}. */
  async connect(options: Omit<NodeConnectionOptions, 'servers'> = {}): Promise<NatsConnection> {
    const connection = await connect({ servers: serviceUrl('nats'), name: 'keel-nats-tests', ...options });
    this.#connections.push(connection);
    return connection;
  }

  /** Options naming a fresh stream, subject prefix and durable consumer, with fast test timings. */
  names(prefix = 'keel_nats'): { stream: string; subjectPrefix: string; durableName: string } {
    const name = uniqueName(prefix);
    this.#streams.add(name);
    this.#streams.add(`${name}_DLQ`);
    return { stream: name, subjectPrefix: name, durableName: `${name}_consumer` };
  }

  /** A transport on `connection` (a new one by default), closed by cleanup. */
  async transport(
    options: NatsEventTransportOptions,
    connection?: NatsConnection,
  ): Promise<NatsEventTransport> {
    const transport = new NatsEventTransport(connection ?? (await this.connect()), {
      ackWaitMs: 2_000,
      backoffMs: [50, 100],
      storage: 'memory',
      ...options,
    });
    if (options.stream !== undefined) this.#streams.add(options.stream);
    this.#transports.push(transport);
    return transport;
  }

  /** A JetStream manager on a kit connection. */
  async manager(): Promise<JetStreamManager> {
    return jetstreamManager(this.#connections[0] ?? (await this.connect()));
  }

  /** The messages stored in `stream`, in order. */
  async storedMessages(stream: string): Promise<StoredMsg[]> {
    const jsm = await this.manager();
    const info = await jsm.streams.info(stream);
    const messages: StoredMsg[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      if (message !== null) messages.push(message);
    }
    return messages;
  }

  /** Closes transports, deletes every stream used and closes every connection. */
  async cleanup(): Promise<void> {
    await Promise.allSettled(this.#transports.map((transport) => transport.close()));
    const jsm = await this.manager().catch(() => undefined);
    for (const stream of this.#streams) await jsm?.streams.delete(stream).catch(() => undefined);
    await Promise.allSettled(this.#connections.map((connection) => connection.close()));
  }
}

/** Polls `check` until it returns true, failing after `timeoutMs` with `what`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise with its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
