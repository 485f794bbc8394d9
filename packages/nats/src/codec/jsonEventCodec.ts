import { toStorableJson } from '@keel/core';
import type { AggregateRef, Message, Metadata } from '@keel/core';
import { NatsSerializationError } from '../errors/errors.js';

/**
 * Turns events into message bodies and back. The transport adds the NATS headers itself
 * (see {@link KEEL_HEADERS}); a codec only handles the body.
 */
export interface EventCodec {
  /** The `Content-Type` header value written with each message, e.g. `application/json`. */
  readonly contentType: string;
  /**
   * Encodes a whole event (type, data and metadata).
   * @throws {NatsSerializationError} when the event cannot be encoded.
   */
  encode(event: Message): Uint8Array;
  /**
   * Decodes a body written by {@link EventCodec.encode}.
   * @throws {NatsSerializationError} when the body is not a valid event.
   */
  decode(body: Uint8Array): Message;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The default codec: the body is the JSON envelope `{ "type", "data", "metadata" }`, so every
 * metadata field (ids, `occurredAt`, tenant, free headers, the aggregate) travels in the body unchanged.
 * Decoding checks the envelope's shape and returns a frozen event.
 *
 * @example
 * ```ts
 * const bytes = jsonEventCodec.encode(createEvent('Deposited', { amount: 5 }));
 * const event = jsonEventCodec.decode(bytes);
 * ```
 */
export const jsonEventCodec: EventCodec = Object.freeze({
  contentType: 'application/json',
  encode(event: Message): Uint8Array {
    let text: string | undefined;
    try {
      text = toStorableJson(
        { type: event.type, data: event.data, metadata: event.metadata },
        `event "${event.type}"`,
      );
    } catch (error) {
      throw new NatsSerializationError('encode', (error as Error).message, { cause: error });
    }
    return encoder.encode(text!);
  },
  decode(body: Uint8Array): Message {
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(body));
    } catch (error) {
      throw new NatsSerializationError('decode', `the body is not UTF-8 JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
    return toMessage(value);
  },
});

function toMessage(value: unknown): Message {
  if (!isRecord(value)) return fail('the body is not a JSON object');
  const { type, data, metadata } = value;
  if (typeof type !== 'string' || type.length === 0) return fail('"type" is not a non-empty string');
  if (!isRecord(metadata)) return fail('"metadata" is not an object');
  return Object.freeze({ type, data, metadata: toMetadata(metadata) });
}

function toMetadata(raw: Record<string, unknown>): Metadata {
  for (const field of ['messageId', 'correlationId', 'occurredAt'] as const) {
    if (typeof raw[field] !== 'string') fail(`"metadata.${field}" is not a string`);
  }
  for (const field of ['causationId', 'tenantId'] as const) {
    if (raw[field] !== undefined && typeof raw[field] !== 'string')
      fail(`"metadata.${field}" is not a string`);
  }
  const headers = raw['headers'] ?? {};
  if (!isRecord(headers) || Object.values(headers).some((header) => typeof header !== 'string')) {
    fail('"metadata.headers" is not an object of strings');
  }
  const { messageId, correlationId, causationId, occurredAt, tenantId } = raw as Record<string, string>;
  const aggregate = raw['aggregate'] === undefined ? undefined : toAggregateRef(raw['aggregate']);
  return Object.freeze({
    messageId: messageId!,
    correlationId: correlationId!,
    ...(causationId === undefined ? {} : { causationId }),
    occurredAt: occurredAt!,
    ...(tenantId === undefined ? {} : { tenantId }),
    headers: Object.freeze({ ...(headers as Record<string, string>) }),
    ...(aggregate === undefined ? {} : { aggregate }),
  });
}

/** The aggregate an event comes from (core's `metadata.aggregate`), checked field by field. */
function toAggregateRef(raw: unknown): AggregateRef {
  if (!isRecord(raw)) return fail('"metadata.aggregate" is not an object');
  const { type, id, stream, version } = raw;
  for (const [field, value] of Object.entries({ type, id, stream })) {
    if (typeof value !== 'string') fail(`"metadata.aggregate.${field}" is not a string`);
  }
  if (typeof version !== 'number' || !Number.isSafeInteger(version))
    fail('"metadata.aggregate.version" is not an integer');
  return Object.freeze({ type: type as string, id: id as string, stream: stream as string, version });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(reason: string): never {
  throw new NatsSerializationError('decode', reason);
}
