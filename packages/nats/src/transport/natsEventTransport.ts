import { raceAbort, throwIfAborted } from '@keel/core';
import type { Message, PublishOptions } from '@keel/core';
import type { EventTransport, TransportSubscription } from '@keel/cqrs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsSetupError, NatsTransportClosedError } from '../errors/errors.js';
import { retryLogged } from '../internal/failoverRetry.js';
import { consumerConfig, ensureConsumer, upsertStream } from '../internal/streams.js';
import { checkName } from '../internal/subjects.js';
import type { NatsHandler, NatsSubscribeOptions } from './natsDelivery.js';
import { NatsPublisher } from './natsPublisher.js';
import { NatsSubscription } from './natsSubscription.js';
import { resolveNatsOptions } from './natsTransportOptions.js';
import type { NatsEventTransportOptions, ResolvedNatsOptions } from './natsTransportOptions.js';

/** Options of {@link NatsEventTransport.ensureStream}. */
export interface EnsureStreamOptions {
  /** Stops waiting for JetStream. */
  signal?: AbortSignal;
}

/**
 * An `EventTransport` over NATS JetStream: `publish` stores events in a stream (de-duplicated by
 * message id), `subscribe` reads them through a durable consumer with explicit acks, delayed
 * redelivery of failures and a dead-letter subject. The connection stays yours to drain.
 *
 * @example
 * ```ts
 * const transport = createNatsEventTransport(await connect({ servers: 'nats://127.0.0.1:4222' }));
 * await transport.ensureStream();
 * const bus = createEventBus({ transport });
 * await bus.consume(transport);
 * ```
 */
export class NatsEventTransport implements EventTransport {
  /** The options in effect, defaults applied. */
  readonly options: ResolvedNatsOptions;
  readonly #js: JetStreamClient;
  readonly #publisher: NatsPublisher;
  readonly #connection: NatsConnection;
  readonly #subscriptions = new Set<NatsSubscription>();
  readonly #publishing = new Set<Promise<void>>();
  #manager: Promise<JetStreamManager> | undefined;
  #streamReady: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param connection An open NATS connection (from `@nats-io/transport-node`'s `connect`).
   * @param options See {@link NatsEventTransportOptions}.
   * @throws {NatsOptionError} when an option is out of range.
   */
  constructor(connection: NatsConnection, options: NatsEventTransportOptions = {}) {
    this.options = resolveNatsOptions(options);
    this.#connection = connection;
    this.#js = jetstream(connection, { timeout: this.options.publishTimeoutMs });
    this.#publisher = new NatsPublisher(this.#js, this.options);
  }

  /**
   * Creates the event stream (capturing `<subjectPrefix>.>`) and the dead-letter stream with
   * `replicas` copies, or adds missing subjects, sets the duplicate window and raises the
   * replicas of existing ones. Safe to call from every process; retried through a leader election.
   *
   * @throws {NatsSetupError} when JetStream refuses (e.g. another stream captures the subjects).
   */
  async ensureStream(options: EnsureStreamOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    this.#assertOpen('ensure the stream');
    return raceAbort(this.#ensureStreams(), options.signal);
  }

  /**
   * Stores `events` in order, one at a time, each with `Nats-Msg-Id` = its message id. Resolves
   * when JetStream stored them all; events it already had (same id, within the duplicate window)
   * are skipped by the server, so retrying a failed batch is safe. An event JetStream does not
   * confirm because of a transient failure (timeout, no responders, leader election) is sent again
   * with the same id for up to `failoverRetryMs`.
   *
   * @throws {NatsPublishError} naming the first event JetStream did not accept, with the attempts made.
   * @throws {NatsInvalidSubjectError} when an event maps to a subject outside `subjectPrefix`.
   * @throws {NatsSerializationError} when an event cannot be encoded.
   * @throws The signal's abort reason when `options.signal` aborts first.
   */
  async publish(events: readonly Message[], options: PublishOptions = {}): Promise<void> {
    const { signal } = options;
    throwIfAborted(signal);
    this.#assertOpen('publish');
    const task = this.#publisher.publish(events, signal, () => this.#streamOnce());
    this.#publishing.add(task);
    try {
      return await raceAbort(task, signal);
    } finally {
      void task.catch(() => undefined).finally(() => this.#publishing.delete(task));
    }
  }

  /**
   * Starts handing events from the durable consumer to `handler` (creating or updating the
   * consumer first). Events of one `orderingKey` (by default the aggregate's stream), or without a
   * key of one subject, are handled in stream order.
   *
   * @returns The subscription; `close()` it to stop.
   * @throws {NatsSetupError} when the consumer cannot be created (e.g. the stream does not exist).
   */
  async subscribe(handler: NatsHandler, options: NatsSubscribeOptions = {}): Promise<TransportSubscription> {
    const { signal } = options;
    throwIfAborted(signal);
    this.#assertOpen('subscribe');
    const durableName = checkName('durableName', options.durableName ?? this.options.durableName);
    const starting = this.#start(handler, durableName);
    let subscription: NatsSubscription;
    try {
      subscription = await raceAbort(starting, signal);
    } catch (error) {
      // The caller stopped waiting: whatever starts later must not keep pulling.
      void starting.then((late) => late.close()).catch(() => undefined);
      throw error;
    }
    if (this.#closing !== undefined || signal?.aborted) {
      await subscription.close();
      throwIfAborted(signal);
      this.#assertOpen('subscribe');
    }
    this.#subscriptions.add(subscription);
    return {
      close: async () => {
        this.#subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  /**
   * Closes every subscription (handlers in progress see their signal abort and are waited for)
   * and waits for publishes in flight. Does not close the NATS connection.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Same as {@link NatsEventTransport.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    const subscriptions = [...this.#subscriptions];
    this.#subscriptions.clear();
    await Promise.allSettled(subscriptions.map((subscription) => subscription.close()));
    await Promise.allSettled([...this.#publishing]);
  }

  #assertOpen(operation: string): void {
    if (this.#closing !== undefined || this.#connection.isClosed())
      throw new NatsTransportClosedError(operation);
  }

  #jsm(): Promise<JetStreamManager> {
    this.#manager ??= jetstreamManager(this.#connection, { timeout: this.options.publishTimeoutMs });
    this.#manager.catch(() => (this.#manager = undefined));
    return this.#manager;
  }

  async #ensureStreams(): Promise<void> {
    const { stream, subjectPrefix, deadLetterSubject, deadLetterStream } = this.options;
    try {
      await this.#retrying('NATS stream setup failed; retrying', { stream }, async () => {
        const jsm = await this.#jsm();
        await upsertStream(jsm, { name: stream, subjects: [`${subjectPrefix}.>`] }, this.options);
        if (deadLetterSubject !== false) {
          await upsertStream(jsm, { name: deadLetterStream, subjects: [deadLetterSubject] }, this.options);
        }
      });
    } catch (error) {
      throw new NatsSetupError(
        `streams "${stream}" and "${deadLetterStream}"`,
        `Check that JetStream is enabled, that no other stream captures the same subjects and that ${this.options.replicas} server(s) of the cluster are up (option replicas).`,
        { cause: error },
      );
    }
  }

  #streamOnce(): Promise<void> {
    if (!this.options.createStream) return Promise.resolve();
    this.#streamReady ??= this.#ensureStreams();
    this.#streamReady.catch(() => (this.#streamReady = undefined));
    return this.#streamReady;
  }

  async #start(handler: NatsHandler, durableName: string): Promise<NatsSubscription> {
    await this.#streamOnce();
    const { stream } = this.options;
    try {
      const consumer = await this.#retrying(
        'NATS consumer setup failed; retrying',
        { durableName },
        async () => {
          const jsm = await this.#jsm();
          await ensureConsumer(jsm, stream, consumerConfig(this.options, durableName));
          return this.#js.consumers.get(stream, durableName);
        },
      );
      return await NatsSubscription.start({
        connection: this.#connection,
        js: this.#js,
        consumer,
        name: durableName,
        options: this.options,
        handler,
      });
    } catch (error) {
      throw new NatsSetupError(
        `durable consumer "${durableName}" on stream "${stream}"`,
        'Create the stream first with ensureStream() (or the createStream option).',
        { cause: error },
      );
    }
  }

  /** Runs a JetStream setup request, retrying transient failures for `failoverRetryMs`. */
  #retrying<T>(message: string, fields: Record<string, unknown>, request: () => Promise<T>): Promise<T> {
    return retryLogged(this.options, message, fields, request);
  }
}

/**
 * Creates a {@link NatsEventTransport} on an open NATS connection.
 *
 * @param connection An open NATS connection; the transport never closes it.
 * @param options See {@link NatsEventTransportOptions}.
 * @throws {NatsOptionError} when an option is out of range.
 * @example
 * ```ts
 * const nc = await connect({ servers: process.env.KEEL_NATS_URL ?? 'nats://127.0.0.1:4222' });
 * const transport = createNatsEventTransport(nc, { stream: 'ORDERS', subjectPrefix: 'orders' });
 * ```
 */
export function createNatsEventTransport(
  connection: NatsConnection,
  options?: NatsEventTransportOptions,
): NatsEventTransport {
  return new NatsEventTransport(connection, options);
}
