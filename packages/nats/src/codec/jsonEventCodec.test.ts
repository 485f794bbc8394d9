import { createEvent } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNatsSerializationError } from '../errors/errors.js';
import { jsonEventCodec } from './jsonEventCodec.js';

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const metadata = {
  messageId: 'm-1',
  correlationId: 'c-1',
  occurredAt: '2026-01-01T00:00:00.000Z',
  headers: {},
};

function decodeError(body: Uint8Array): unknown {
  try {
    jsonEventCodec.decode(body);
  } catch (error) {
    return error;
  }
  throw new Error('decode did not throw');
}

describe('jsonEventCodec', () => {
  it('decodes what it encodes into an equal event, for any JSON data and metadata', () => {
    const json = fc.jsonValue().filter((value) => !Object.is(value, -0));
    const headers = fc.dictionary(fc.string(), fc.string());
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        json,
        headers,
        fc.option(fc.uuid(), { nil: undefined }),
        (type, data, h, tenantId) => {
          const event = createEvent(type, data, {
            metadata: { headers: h, ...(tenantId === undefined ? {} : { tenantId }) },
          });
          expect(jsonEventCodec.decode(jsonEventCodec.encode(event))).toEqual(event);
        },
      ),
      { seed: 42 },
    );
  });

  it('carries the aggregate an event comes from', () => {
    const aggregate = { type: 'Account', id: '42', stream: 'Account-42', version: 3 };
    const event = createEvent('Deposited', { amount: 5 }, { metadata: { aggregate } });
    const decoded = jsonEventCodec.decode(jsonEventCodec.encode(event));
    expect(decoded.metadata.aggregate).toEqual(aggregate);
    expect(Object.isFrozen(decoded.metadata.aggregate)).toBe(true);
  });

  it.each([
    ['not an object', 'Account-42', '"metadata.aggregate" is not an object'],
    ['a missing id', { type: 'Account', stream: 'Account-42', version: 1 }, '"metadata.aggregate.id"'],
    [
      'a fractional version',
      { type: 'A', id: '1', stream: 'A-1', version: 1.5 },
      '"metadata.aggregate.version"',
    ],
  ])('rejects an aggregate reference that is %s', (_name, aggregate, reason) => {
    const error = decodeError(encode({ type: 'T', data: {}, metadata: { ...metadata, aggregate } }));
    expect(isNatsSerializationError(error)).toBe(true);
    expect((error as Error).message).toContain(reason);
  });

  it('returns a frozen event with frozen metadata and headers', () => {
    const event = jsonEventCodec.decode(
      encode({ type: 'T', data: { a: 1 }, metadata: { ...metadata, headers: { x: 'y' } } }),
    );
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(event.metadata)).toBe(true);
    expect(Object.isFrozen(event.metadata.headers)).toBe(true);
  });

  it('writes the body as the JSON envelope { type, data, metadata }', () => {
    const event = createEvent('Deposited', { amount: 5 });
    const body = JSON.parse(new TextDecoder().decode(jsonEventCodec.encode(event)));
    expect(body).toEqual({
      type: 'Deposited',
      data: { amount: 5 },
      metadata: JSON.parse(JSON.stringify(event.metadata)),
    });
  });

  it('rejects data that JSON cannot encode with a NatsSerializationError', () => {
    const error = (() => {
      try {
        jsonEventCodec.encode(createEvent('Big', { amount: 1n }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isNatsSerializationError(error)).toBe(true);
    expect((error as { direction: string }).direction).toBe('encode');
  });

  it.each([
    ['bytes that are not JSON', new TextEncoder().encode('{nope')],
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe])],
    ['a JSON array', encode([1, 2])],
    ['an empty type', encode({ type: '', data: 1, metadata })],
    ['missing metadata', encode({ type: 'T', data: 1 })],
    ['a numeric messageId', encode({ type: 'T', data: 1, metadata: { ...metadata, messageId: 7 } })],
    ['a non-string causationId', encode({ type: 'T', data: 1, metadata: { ...metadata, causationId: 7 } })],
    ['non-string headers', encode({ type: 'T', data: 1, metadata: { ...metadata, headers: { a: 1 } } })],
  ])('rejects %s with a decode NatsSerializationError', (_name, body) => {
    const error = decodeError(body);
    expect(isNatsSerializationError(error)).toBe(true);
    expect((error as { direction: string }).direction).toBe('decode');
  });
});
