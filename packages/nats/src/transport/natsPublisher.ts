import { throwIfAborted } from '@keel/core';
import type { Message } from '@keel/core';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { MsgHdrs } from '@nats-io/transport-node';
import { ENVELOPE_VERSION, KEEL_HEADERS } from '../codec/headers.js';
import { NatsPublishError } from '../errors/errors.js';
import { oneLine } from '../internal/deadLetter.js';
import { retryLogged } from '../internal/failoverRetry.js';
import { checkEventSubject } from '../internal/subjects.js';
import { tracedPublish } from '../internal/telemetry.js';
import type { OutgoingEvent } from '../internal/telemetry.js';
import type { ResolvedNatsOptions } from './natsTransportOptions.js';

/** One event of a publish, mapped and encoded. */
interface PreparedEvent extends OutgoingEvent {
  readonly body: Uint8Array;
  readonly messageId: string;
}

/** Stores events in JetStream for a {@link NatsEventTransport}: one at a time, retried through a failover. */
export class NatsPublisher {
  readonly #js: JetStreamClient;
  readonly options: ResolvedNatsOptions;

  constructor(js: JetStreamClient, options: ResolvedNatsOptions) {
    this.#js = js;
    this.options = options;
  }

  /**
   * Encodes the whole batch, so a bad event fails it before anything is stored, runs `ready`
   * (stream creation), then stores the events in order.
   */
  async publish(
    events: readonly Message[],
    signal: AbortSignal | undefined,
    ready: () => Promise<void>,
  ): Promise<void> {
    const outgoing = events.map((event) => this.#prepare(event));
    await ready();
    for (const [index, prepared] of outgoing.entries()) {
      throwIfAborted(signal);
      await tracedPublish(prepared, this.options.clock, () =>
        this.#store(prepared, index, events.length, signal),
      );
    }
  }

  async #store(prepared: PreparedEvent, index: number, total: number, signal?: AbortSignal): Promise<void> {
    const { subject, body, messageId, headers } = prepared;
    const timeout = this.options.publishTimeoutMs;
    let attempts = 1;
    try {
      // Every attempt carries the same msgID, so a copy stored by an unconfirmed one is dropped.
      const ack = await retryLogged(
        this.options,
        'NATS publish not confirmed; retrying with the same message id',
        { subject, messageId },
        () => this.#js.publish(subject, body, { msgID: messageId, headers, timeout }),
        signal,
        (attempt) => (attempts = attempt + 1),
      );
      if (ack.duplicate && attempts > 1) {
        this.options.logger.info('NATS publish retry was a duplicate; JetStream kept the earlier copy', {
          subject,
          messageId,
          attempts,
          seq: ack.seq,
        });
      }
    } catch (error) {
      throw new NatsPublishError(
        { subject, messageId, failedIndex: index, total, attempts },
        { cause: error },
      );
    }
  }

  #prepare(event: Message): PreparedEvent {
    const { subject, subjectPrefix, codec } = this.options;
    return {
      event,
      subject: checkEventSubject(subject(event, subjectPrefix), subjectPrefix),
      body: codec.encode(event),
      messageId: event.metadata.messageId,
      headers: this.#headersOf(event),
    };
  }

  #headersOf(event: Message): MsgHdrs {
    const result = natsHeaders();
    result.set(KEEL_HEADERS.eventType, oneLine(event.type));
    result.set(KEEL_HEADERS.correlationId, oneLine(event.metadata.correlationId));
    result.set(KEEL_HEADERS.contentType, this.options.codec.contentType);
    result.set(KEEL_HEADERS.envelope, ENVELOPE_VERSION);
    return result;
  }
}
