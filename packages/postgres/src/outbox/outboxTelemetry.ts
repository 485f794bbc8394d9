import { recordMetric, telemetryEnabled, traceHeaders, TRACEPARENT, withSpan } from '@keel/core';
import type { Attributes, Clock, Message, TraceCarrier } from '@keel/core';
import type { SqlExecutor } from '../client/sqlClient.js';
import { toNumber } from '../internal/normalize.js';
import {
  INBOX_DUPLICATES,
  OUTBOX_BACKLOG,
  OUTBOX_MESSAGES,
  OUTBOX_OLDEST_AGE,
} from '../internal/telemetry.js';
import type { OutboxDispatchResult } from './outboxRelayOptions.js';

/** The trace context a message carries in `metadata.headers`, when it has one. */
function carrierOf(message: Message | undefined): TraceCarrier | undefined {
  const headers = (message?.metadata as { headers?: TraceCarrier } | undefined)?.headers;
  return typeof headers?.[TRACEPARENT] === 'string' ? headers : undefined;
}

/** Messaging attributes of one message. */
function messageAttributes(message: Message): Attributes {
  return {
    'messaging.message.id': message.metadata?.messageId,
    'messaging.message.conversation_id': message.metadata?.correlationId,
    'keel.message.type': message.type,
  };
}

/**
 * Runs an enqueue in a `create <topic>` producer span. Messages that carry no trace context
 * yet get the span's in `metadata.headers` (a copy: the caller's objects are not touched), so
 * the relay that publishes them later continues this trace. Without telemetry it only runs.
 */
export function tracedEnqueue(
  schema: string,
  topic: string,
  messages: readonly Message[],
  run: (messages: readonly Message[]) => Promise<void>,
): Promise<void> {
  if (!telemetryEnabled()) return run(messages);
  const count = Array.isArray(messages) ? messages.length : 0;
  const attributes: Attributes = {
    'messaging.system': 'keel',
    'messaging.operation.type': 'create',
    'messaging.operation.name': 'enqueue',
    'messaging.destination.name': topic,
    'messaging.batch.message_count': count,
    'db.system.name': 'postgresql',
    'db.namespace': schema,
  };
  return withSpan(`create ${topic}`, { kind: 'producer', attributes }, () =>
    run(count === 0 ? messages : stampTraceContext(messages)),
  );
}

function stampTraceContext(messages: readonly Message[]): readonly Message[] {
  const context = traceHeaders();
  if (context[TRACEPARENT] === undefined) return messages;
  return messages.map((message) => {
    // Malformed messages pass unchanged so the outbox refuses them with its own error.
    if (
      typeof message?.metadata !== 'object' ||
      message.metadata === null ||
      carrierOf(message) !== undefined
    ) {
      return message;
    }
    const headers = { ...message.metadata.headers, ...context };
    return { ...message, metadata: { ...message.metadata, headers } };
  });
}

/** What a relay's telemetry needs to know about it. */
export interface RelayTelemetrySetup {
  readonly client: SqlExecutor;
  /** The quoted, qualified outbox table. */
  readonly table: string;
  readonly topic: string;
  readonly clock: Clock;
  /** The backlog is measured at most once per this many ms. */
  readonly measureEveryMs: number;
}

/** The spans and metrics of one {@link OutboxRelay}. */
export class RelayTelemetry {
  readonly #setup: RelayTelemetrySetup;
  #measuredAt: number | undefined;

  constructor(setup: RelayTelemetrySetup) {
    this.#setup = setup;
  }

  /**
   * Publishes one message in a `publish <topic>` producer span whose parent is the trace context
   * stored with the message. When the relay itself runs inside a span (which would be the
   * parent), the stored context becomes a link instead, so the two traces stay connected.
   */
  publish(message: Message, attempt: number, run: () => Promise<void>): Promise<void> {
    if (!telemetryEnabled()) return run();
    const stored = carrierOf(message);
    const nested = stored !== undefined && traceHeaders()[TRACEPARENT] !== undefined;
    const attributes: Attributes = {
      'messaging.system': 'keel',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.destination.name': this.#setup.topic,
      ...messageAttributes(message),
      'keel.delivery.attempt': attempt,
    };
    const links = nested ? [stored] : undefined;
    return withSpan(
      `publish ${this.#setup.topic}`,
      { kind: 'producer', attributes, parent: stored, links },
      run,
    );
  }

  /**
   * Records what a round did (`keel.outbox.messages` by outcome) and, at most once per
   * `measureEveryMs`, the backlog gauges. Never throws: telemetry must not stop the relay.
   */
  async round(result: OutboxDispatchResult): Promise<void> {
    if (!telemetryEnabled()) return;
    const topic = this.#setup.topic;
    const outcomes = [
      ['published', result.published],
      ['retried', result.retried],
      ['failed', result.failed],
    ] as const;
    for (const [outcome, count] of outcomes) {
      if (count > 0)
        recordMetric(OUTBOX_MESSAGES, count, { 'keel.outbox.topic': topic, 'keel.outcome': outcome });
    }
    const now = this.#setup.clock.now();
    if (this.#measuredAt !== undefined && now - this.#measuredAt < this.#setup.measureEveryMs) return;
    this.#measuredAt = now;
    await this.#measureBacklog().catch(() => undefined);
  }

  async #measureBacklog(): Promise<void> {
    const { client, table, topic, clock } = this.#setup;
    const { rows } = await client.query<{ pending: unknown; oldest: unknown }>(
      `SELECT count(*) AS pending, min(enqueued_at) AS oldest FROM ${table}
       WHERE topic = $1 AND dispatched_at IS NULL AND failed_at IS NULL`,
      [topic],
    );
    const pending = toNumber(rows[0]?.pending ?? 0);
    const oldest = rows[0]?.oldest;
    const age =
      oldest === null || oldest === undefined ? 0 : Math.max(0, clock.now() - toNumber(oldest)) / 1000;
    recordMetric(OUTBOX_BACKLOG, pending, { 'keel.outbox.topic': topic });
    recordMetric(OUTBOX_OLDEST_AGE, age, { 'keel.outbox.topic': topic });
  }
}

/** Runs an inbox's handling of `message` in an `inbox <consumer>` span continuing the message's trace. */
export function tracedInbox<TResult extends { readonly status: string }>(
  consumer: string,
  message: Message,
  run: () => Promise<TResult>,
): Promise<TResult> {
  if (!telemetryEnabled()) return run();
  const attributes: Attributes = {
    'messaging.system': 'keel',
    'messaging.operation.type': 'process',
    'messaging.consumer.group.name': consumer,
    ...messageAttributes(message),
  };
  const parent = carrierOf(message);
  return withSpan(`inbox ${consumer}`, { kind: 'consumer', attributes, parent }, async (span) => {
    const outcome = await run();
    span.setAttributes({ 'keel.outcome': outcome.status });
    return outcome;
  });
}

/** Counts a message an inbox found already processed. */
export function recordInboxDuplicate(consumer: string, message: Message): void {
  if (!telemetryEnabled()) return;
  recordMetric(INBOX_DUPLICATES, 1, {
    'messaging.consumer.group.name': consumer,
    'keel.message.type': message.type,
  });
}
