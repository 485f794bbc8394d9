import { describe, expect, it, vi } from 'vitest';
import { isValidationError } from '../errors/errors.js';
import type { ValidationError } from '../errors/errors.js';
import { createCommand, createEvent, createMetadata } from './message.js';
import type { Message, MessageOptions } from './message.js';

/** The ValidationError `build` throws (fails the test when it throws none, or another error). */
function refusal(build: () => unknown): ValidationError {
  let caught: unknown;
  try {
    build();
  } catch (error) {
    caught = error;
  }
  if (!isValidationError(caught)) throw new Error(`expected a ValidationError, got ${String(caught)}`);
  return caught;
}

const paths = (error: ValidationError): string[] => error.issues.map((issue) => issue.path.join('.'));

describe('message options', () => {
  it.each([
    ['a string', 'OrderPlaced'],
    ['null', null],
    ['an object without metadata', {}],
    ['metadata without a message id', { metadata: { correlationId: 'c-1' } }],
    ['an empty message id', { metadata: { messageId: '' } }],
    ['a numeric message id', { metadata: { messageId: 42 } }],
  ])('refuses a cause that is %s', (_, causedBy) => {
    const error = refusal(() => createCommand('Ping', {}, { causedBy } as unknown as MessageOptions));
    expect(paths(error)).toEqual(['causedBy']);
    expect(error.message).toMatch(/message options/);
    expect(error.message).toMatch(/causedBy/);
  });

  it('refuses a cause whose correlation id or tenant is not text', () => {
    const causedBy = { metadata: { messageId: 'm-1', correlationId: 7, tenantId: 3 } };
    const error = refusal(() => createEvent('Ping', {}, { causedBy } as unknown as MessageOptions));
    expect(paths(error)).toEqual(['causedBy.metadata.correlationId', 'causedBy.metadata.tenantId']);
  });

  it.each([
    ['a numeric traceparent', { traceparent: 123 }, '"traceparent": 123'],
    ['a header that is not text', { user: { id: 1 } }, '"user": an object'],
    ['not an object', 'traceparent=00-abc', '"traceparent=00-abc"'],
    ['null', null, 'null'],
  ])('refuses a cause whose headers hold %s, as given headers are refused', (_, headers, got) => {
    const causedBy = { metadata: { messageId: 'm-1', headers } };
    const error = refusal(() => createEvent('E', {}, { causedBy } as unknown as MessageOptions));
    expect(paths(error)).toEqual(['causedBy.metadata.headers']);
    expect(error.issues[0]?.message).toContain(got);
    const direct = refusal(() =>
      createEvent('E', {}, { metadata: { headers } } as unknown as MessageOptions),
    );
    expect(direct.issues[0]?.message).toBe(error.issues[0]?.message);
  });

  it('carries a cause whose headers are all text, or absent', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const traced = createEvent(
      'E',
      {},
      { causedBy: { metadata: { messageId: 'm-1', headers: { traceparent } } } as never },
    );
    expect(traced.metadata.headers).toEqual({ traceparent });
    const bare = createEvent('E', {}, { causedBy: { metadata: { messageId: 'm-1' } } as never });
    expect(bare.metadata.headers).toEqual({});
  });

  it('lists every bad metadata field at once', () => {
    const metadata = {
      messageId: 1,
      correlationId: '',
      causationId: null,
      tenantId: ['t'],
      occurredAt: 'yesterday',
      headers: { user: 5 },
      aggregate: { type: 'Order', id: 42, stream: 'Order-42', version: 1.5 },
    };
    const error = refusal(() => createMetadata({ metadata } as unknown as MessageOptions));
    expect(paths(error)).toEqual([
      'metadata.messageId',
      'metadata.correlationId',
      'metadata.causationId',
      'metadata.tenantId',
      'metadata.occurredAt',
      'metadata.headers',
      'metadata.aggregate.id',
      'metadata.aggregate.version',
    ]);
    expect(error.message).toMatch(/"user": 5/);
  });

  it.each(['1', '2026', '2026-12-04', '2026-12-04T10:00:00', 'Fri Dec 04 2026', '2026-02-30T10:00:00Z'])(
    'refuses occurredAt %j, which is not an instant every store reads the same',
    (occurredAt) => {
      const error = refusal(() => createMetadata({ metadata: { occurredAt } }));
      expect(paths(error)).toEqual(['metadata.occurredAt']);
    },
  );

  it.each(['2026-12-04T10:00:00.000Z', '2026-12-04T10:00Z', '2026-12-04T11:00:00+01:00'])(
    'keeps occurredAt %j as given',
    (occurredAt) => {
      expect(createMetadata({ metadata: { occurredAt } }).occurredAt).toBe(occurredAt);
    },
  );

  it.each([
    ['metadata that is not an object', { metadata: 'm-1' }, 'metadata'],
    ['headers that are an array', { metadata: { headers: ['a'] } }, 'metadata.headers'],
    ['an aggregate that is not an object', { metadata: { aggregate: 'Order-1' } }, 'metadata.aggregate'],
    [
      'a negative aggregate version',
      { metadata: { aggregate: { type: 'O', id: '1', stream: 'O-1', version: -1 } } },
      'metadata.aggregate.version',
    ],
    ['a clock without now', { clock: {} }, 'clock'],
  ])('refuses %s', (_, options, path) => {
    expect(paths(refusal(() => createEvent('Ping', {}, options as unknown as MessageOptions)))).toEqual([
      path,
    ]);
  });

  it('refuses options that are not an object', () => {
    expect(paths(refusal(() => createMetadata(null as unknown as MessageOptions)))).toEqual(['']);
  });

  it('accepts every field a message may carry, and undefined for each', () => {
    const aggregate = { type: 'Order', id: '42', stream: 'Order-42', version: 0 };
    const metadata = {
      messageId: 'm-1',
      correlationId: 'c-1',
      causationId: 'x-1',
      occurredAt: '2026-12-04T10:00:00.000Z',
      tenantId: 't-1',
      headers: { user: 'u-1' },
      aggregate,
    };
    expect(createEvent('Ping', {}, { metadata }).metadata).toMatchObject(metadata);
    const undefinedFields = Object.fromEntries(Object.keys(metadata).map((key) => [key, undefined]));
    expect(() =>
      createEvent('Ping', {}, { causedBy: undefined, metadata: undefinedFields, clock: undefined }),
    ).not.toThrow();
  });

  it('takes the id of a cause that starts its flow (no correlation id) as the correlation id', () => {
    const bare = { metadata: { messageId: 'm-1' } } as unknown as Message;
    const caused = createCommand('Ping', {}, { causedBy: bare });
    expect(caused.metadata.correlationId).toBe('m-1');
    expect(caused.metadata.causationId).toBe('m-1');
  });

  it('reads no clock for bad options: nothing is built', () => {
    const clock = { now: vi.fn(() => 0) };
    refusal(() =>
      createCommand('Ping', {}, { clock, metadata: { headers: 1 } } as unknown as MessageOptions),
    );
    expect(clock.now).not.toHaveBeenCalled();
    expect(createCommand('Ping', {}, { clock: clock as never }).metadata.occurredAt).toBe(
      '1970-01-01T00:00:00.000Z',
    );
  });
});
