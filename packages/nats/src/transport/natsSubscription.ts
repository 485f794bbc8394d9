import { CancelledError, toError } from '@keel/core';
import type { Message, Timer } from '@keel/core';
import type { TransportSubscription } from '@keel/cqrs';
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { ENVELOPE_VERSION, KEEL_HEADERS } from '../codec/headers.js';
import { NatsDeliveryLimitError, NatsSerializationError } from '../errors/errors.js';
import { deadLetterHeaderValues, keptHeaders, oneLine } from '../internal/deadLetter.js';
import { KeyedRunner } from '../internal/keyedRunner.js';
import { tracedDelivery } from '../internal/telemetry.js';
import type { DeliveryTrace } from '../internal/telemetry.js';
import { HeldDeliveries } from './heldDeliveries.js';
import type { NatsDelivery, NatsHandler } from './natsDelivery.js';
import { redeliveryDelay } from './natsTransportOptions.js';
import type { ResolvedNatsOptions } from './natsTransportOptions.js';

/** A received message decoded to an event, or why it could not be. */
type Decoded = { event: Message } | { error: unknown };

/** What a {@link NatsSubscription} works with. */
export interface NatsSubscriptionSetup {
  /** The connection, flushed on close so the server sees the pull stop before events are handed back. */
  readonly connection: Pick<NatsConnection, 'flush'>;
  /** Publishes dead letters. */
  readonly js: JetStreamClient;
  /** The durable consumer to pull from. */
  readonly consumer: Consumer;
  /** The durable consumer's name. */
  readonly name: string;
  /** The transport's options. */
  readonly options: ResolvedNatsOptions;
  /** Receives each decoded event. */
  readonly handler: NatsHandler;
}

/** A running pull loop over one durable consumer: decode, handle, ack / nak / dead-letter. */
export class NatsSubscription implements TransportSubscription {
  readonly #setup: NatsSubscriptionSetup;
  readonly #js: JetStreamClient;
  readonly #options: ResolvedNatsOptions;
  readonly #handler: NatsHandler;
  readonly #consumer: string;
  readonly #messages: ConsumerMessages;
  readonly #runner: KeyedRunner;
  readonly #held: HeldDeliveries;
  /** The most events held at once: `prefetch`, and never fewer than `concurrency`. */
  readonly #capacity: number;
  readonly #controller = new AbortController();
  readonly #handBack: JsMsg[] = [];
  readonly #loop: Promise<void>;
  #stopping = false;
  #closing: Promise<void> | undefined;

  private constructor(setup: NatsSubscriptionSetup, messages: ConsumerMessages) {
    this.#setup = setup;
    this.#js = setup.js;
    this.#options = setup.options;
    this.#handler = setup.handler;
    this.#consumer = setup.name;
    this.#messages = messages;
    this.#runner = new KeyedRunner(setup.options.concurrency);
    this.#capacity = Math.max(setup.options.prefetch, setup.options.concurrency);
    this.#held = new HeldDeliveries(Math.max(1_000, 4 * this.#capacity));
    this.#loop = this.#pump();
    void this.#watchStatus();
  }

  /** Starts pulling from the consumer and handing events to the handler. */
  static async start(setup: NatsSubscriptionSetup): Promise<NatsSubscription> {
    const messages = await setup.consumer.consume({ max_messages: setup.options.prefetch });
    return new NatsSubscription(setup, messages);
  }

  /**
   * Stops pulling, aborts the signal of handlers in progress and waits for them. Events handled
   * successfully are still acknowledged; interrupted and prefetched ones are handed back at once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    void this.#messages.close();
    // Until the server has processed the end of our pull, a nak'd event could be redelivered to
    // it and sit unseen until ackWaitMs; flushing first makes handed-back events go elsewhere.
    await this.#setup.connection.flush().catch(() => undefined);
    this.#controller.abort(
      new CancelledError(`The NATS subscription on consumer "${this.#consumer}" was closed.`),
    );
    await this.#loop;
    await this.#runner.idle();
    for (const msg of this.#handBack.splice(0)) msg.nak();
    // Acks and naks are not confirmed one by one; a flush puts them all on the server before close ends.
    await this.#setup.connection.flush().catch(() => undefined);
  }

  async #pump(): Promise<void> {
    try {
      for await (const msg of this.#messages) {
        if (this.#stopping) {
          this.#handBack.push(msg);
          continue;
        }
        this.#admit(msg);
        await this.#runner.below(this.#capacity);
      }
    } catch (error) {
      this.#options.logger.error('NATS consumer stopped pulling', {
        consumer: this.#consumer,
        error: toError(error).message,
      });
    }
  }

  /**
   * Holds a new event until it is settled, marking it in progress all along, so JetStream does not
   * redeliver it while it waits for its ordering key or a concurrency slot; a copy of an event
   * already held is not queued again.
   */
  #admit(msg: JsMsg): void {
    const kind = this.#held.receive(msg.seq, msg.info.deliveryCount);
    if (kind !== 'new') return this.#skipCopy(msg, kind);
    const decoded = this.#tryDecode(msg);
    const heartbeat = this.#startHeartbeat(msg);
    this.#runner.admit(this.#orderOf(msg, decoded), async () => {
      try {
        await this.#process(msg, decoded);
      } finally {
        heartbeat?.cancel();
        this.#held.release(msg.seq);
      }
    });
  }

  #skipCopy(msg: JsMsg, kind: 'held' | 'settled'): void {
    // The held copy's heartbeat, ack or nak settles the event (JetStream matches them by stream
    // sequence); reporting progress now keeps this copy from coming back before the next heartbeat.
    if (kind === 'held' && this.#options.heartbeat) msg.working();
    this.#options.logger.debug('NATS redelivered an event this subscription already has; skipped the copy', {
      consumer: this.#consumer,
      seq: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      copyOf: kind,
    });
  }

  async #watchStatus(): Promise<void> {
    const serious = new Set([
      'heartbeats_missed',
      'consumer_deleted',
      'consumer_not_found',
      'stream_not_found',
    ]);
    for await (const status of this.#messages.status()) {
      const fields = { consumer: this.#consumer, ...status };
      if (serious.has(status.type)) this.#options.logger.warn(`NATS consumer status: ${status.type}`, fields);
      else this.#options.logger.debug(`NATS consumer status: ${status.type}`, fields);
    }
  }

  #tryDecode(msg: JsMsg): Decoded {
    try {
      return { event: this.#decode(msg) };
    } catch (error) {
      return { error };
    }
  }

  /**
   * The queue an event waits in: its ordering key (by default the aggregate's stream, as the
   * event bus orders), else its subject, so undecodable and keyless events keep subject order.
   */
  #orderOf(msg: JsMsg, decoded: Decoded): string {
    let key: string | undefined;
    try {
      key = 'event' in decoded ? this.#options.orderingKey(decoded.event) : undefined;
    } catch (error) {
      // A throwing orderingKey must not stop the pull loop: order that event by its subject.
      this.#options.logger.warn('NATS orderingKey threw; ordering the event by its subject', {
        consumer: this.#consumer,
        subject: msg.subject,
        error: toError(error).message,
      });
    }
    return key === undefined ? `subject:${msg.subject}` : `key:${key}`;
  }

  async #process(msg: JsMsg, decoded: Decoded): Promise<void> {
    if (this.#stopping) {
      this.#handBack.push(msg);
      return;
    }
    const event = 'event' in decoded ? decoded.event : undefined;
    const consumer = this.#consumer;
    return tracedDelivery(msg, consumer, event, this.#options.clock, (trace) =>
      this.#settle(msg, decoded, trace),
    );
  }

  async #settle(msg: JsMsg, decoded: Decoded, trace: DeliveryTrace): Promise<void> {
    if (!('event' in decoded)) return this.#deadLetter(msg, decoded.error, trace);
    const { event } = decoded;
    const { deliveryCount } = msg.info;
    const { maxDeliver } = this.#options;
    // Copies of held events are skipped, so this delivery follows earlier ones that were handed
    // out and never settled: their process crashed, or their handler outlived ackWaitMs.
    if (deliveryCount > maxDeliver) {
      return this.#deadLetter(
        msg,
        new NatsDeliveryLimitError(event.metadata.messageId, deliveryCount, maxDeliver),
        trace,
      );
    }
    const failure = await this.#handle(msg, event);
    if (failure === undefined) return msg.ack();
    trace.failed(failure.error);
    if (this.#controller.signal.aborted) return msg.nak();
    if (deliveryCount >= maxDeliver) return this.#deadLetter(msg, failure.error, trace);
    const delay = redeliveryDelay(this.#options.backoffMs, deliveryCount);
    this.#options.logger.warn('NATS event handler failed; redelivering later', {
      consumer: this.#consumer,
      messageId: event.metadata.messageId,
      deliveryCount,
      delayMs: delay,
      error: toError(failure.error).message,
    });
    trace.redelivery(delay);
    msg.nak(delay);
  }

  #decode(msg: JsMsg): Message {
    const envelope = msg.headers?.get(KEEL_HEADERS.envelope);
    if (envelope !== undefined && envelope !== '' && envelope !== ENVELOPE_VERSION) {
      throw new NatsSerializationError(
        'decode',
        `envelope version ${envelope} is not supported (expected ${ENVELOPE_VERSION})`,
      );
    }
    return this.#options.codec.decode(msg.data);
  }

  async #handle(msg: JsMsg, event: Message): Promise<{ error: unknown } | undefined> {
    try {
      await this.#handler(event, this.#deliveryOf(msg));
      return undefined;
    } catch (error) {
      return { error };
    }
  }

  #deliveryOf(msg: JsMsg): NatsDelivery {
    return {
      signal: this.#controller.signal,
      subject: msg.subject,
      stream: msg.info.stream,
      streamSequence: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      consumer: this.#consumer,
    };
  }

  #startHeartbeat(msg: JsMsg): Timer | undefined {
    if (!this.#options.heartbeat) return undefined;
    const every = Math.max(1, Math.floor(this.#options.ackWaitMs / 2));
    return this.#options.clock.setInterval(() => msg.working(), every, { keepAlive: false });
  }

  async #deadLetter(msg: JsMsg, error: unknown, trace: DeliveryTrace): Promise<void> {
    const { deadLetterSubject, logger } = this.#options;
    const fields = {
      consumer: this.#consumer,
      seq: msg.seq,
      subject: msg.subject,
      error: oneLine(toError(error).message),
    };
    if (deadLetterSubject === false) {
      msg.term();
      trace.deadLettered(error, false);
      logger.warn('NATS event terminated after its last delivery', fields);
      return;
    }
    try {
      await this.#js.publish(deadLetterSubject, msg.data, {
        msgID: `${this.#consumer}:${msg.info.stream}:${msg.seq}`,
        headers: this.#deadLetterHeaders(msg, error),
        timeout: this.#options.publishTimeoutMs,
      });
    } catch (publishError) {
      logger.error('NATS dead-letter publish failed; retrying later', {
        ...fields,
        cause: toError(publishError).message,
      });
      msg.nak(this.#options.backoffMs.at(-1));
      return;
    }
    msg.ack();
    trace.deadLettered(error, deadLetterSubject);
    logger.warn('NATS event dead-lettered', { ...fields, deadLetterSubject });
  }

  #deadLetterHeaders(msg: JsMsg, error: unknown): ReturnType<typeof natsHeaders> {
    const result = natsHeaders();
    for (const [key, value] of keptHeaders(msg.headers)) result.append(key, value);
    const facts = deadLetterHeaderValues({
      error,
      deliveryCount: msg.info.deliveryCount,
      subject: msg.subject,
      stream: msg.info.stream,
      sequence: msg.seq,
      consumer: this.#consumer,
      failedAt: new Date(this.#options.clock.now()).toISOString(),
    });
    for (const [key, value] of Object.entries(facts)) result.set(key, value);
    return result;
  }
}
