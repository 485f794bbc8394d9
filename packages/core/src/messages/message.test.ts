import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ManualClock } from '../clock/manualClock.js';
import { isUuid } from '../id/newId.js';
import type { Command, Query, ResultOf } from './message.js';
import { createCommand, createEvent, createMessage, createMetadata, createQuery } from './message.js';

describe('messages', () => {
  it('a first message gets a fresh id that is also its correlation id, and no causation', () => {
    const command = createCommand('PlaceOrder', { orderId: 'o-1' });
    expect(isUuid(command.metadata.messageId)).toBe(true);
    expect(command.metadata.correlationId).toBe(command.metadata.messageId);
    expect(command.metadata).not.toHaveProperty('causationId');
  });

  it('a message caused by another keeps its correlation id and takes its id as causation', () => {
    const command = createCommand('PlaceOrder', { orderId: 'o-1' }, { metadata: { tenantId: 'acme' } });
    const event = createEvent('OrderPlaced', { orderId: 'o-1' }, { causedBy: command });
    const next = createEvent('InvoiceSent', {}, { causedBy: event });
    expect(event.metadata.correlationId).toBe(command.metadata.messageId);
    expect(event.metadata.causationId).toBe(command.metadata.messageId);
    expect(event.metadata.tenantId).toBe('acme');
    expect(next.metadata.correlationId).toBe(command.metadata.messageId);
    expect(next.metadata.causationId).toBe(event.metadata.messageId);
  });

  it('takes occurredAt from the given clock', () => {
    const clock = new ManualClock(new Date('2026-03-04T05:06:07.000Z'));
    expect(createMetadata({ clock }).occurredAt).toBe('2026-03-04T05:06:07.000Z');
  });

  it('stamps each millisecond with its own time, also when messages of one millisecond come in bursts', () => {
    const clock = new ManualClock(new Date('2026-03-04T05:06:07.000Z'));
    const times = [0, 0, 1, 1, 1_000].map((step) => {
      clock.advance(step);
      return createEvent('Ticked', {}, { clock }).metadata.occurredAt;
    });
    expect(times).toEqual([
      '2026-03-04T05:06:07.000Z',
      '2026-03-04T05:06:07.000Z',
      '2026-03-04T05:06:07.001Z',
      '2026-03-04T05:06:07.002Z',
      '2026-03-04T05:06:08.002Z',
    ]);
  });

  it('gives messages made one after another increasing ids', () => {
    const ids = Array.from({ length: 500 }, () => createCommand('Ping', {}).metadata.messageId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps every default when the options are given as undefined', () => {
    const clock = new ManualClock(new Date('2026-03-04T05:06:07.000Z'));
    const metadata = createMetadata({ causedBy: undefined, metadata: undefined, clock });
    expect(metadata.correlationId).toBe(metadata.messageId);
    expect(metadata.occurredAt).toBe('2026-03-04T05:06:07.000Z');
    expect(metadata.headers).toEqual({});
    expect(createMetadata({ clock: undefined }).messageId).not.toBe(metadata.messageId);
  });

  it('lets explicit metadata override the defaults', () => {
    const metadata = createMetadata({ metadata: { messageId: 'm-1', headers: { traceId: 't' } } });
    expect(metadata.messageId).toBe('m-1');
    expect(metadata.correlationId).toBe('m-1');
    expect(metadata.headers).toEqual({ traceId: 't' });
  });

  it('carries a frozen copy of the aggregate an event comes from, and none for a message it caused', () => {
    const aggregate = { type: 'Order', id: '42', stream: 'Order-42', version: 3 };
    const placed = createEvent('OrderPlaced', {}, { metadata: { aggregate } });
    expect(placed.metadata.aggregate).toEqual(aggregate);
    expect(placed.metadata.aggregate).not.toBe(aggregate);
    expect(Object.isFrozen(placed.metadata.aggregate)).toBe(true);
    expect(createEvent('InvoiceSent', {}, { causedBy: placed }).metadata.aggregate).toBeUndefined();
  });

  it('freezes messages and their metadata', () => {
    const message = createMessage('Ping', { n: 1 });
    expect(Object.isFrozen(message)).toBe(true);
    expect(Object.isFrozen(message.metadata)).toBe(true);
    expect(Object.isFrozen(message.metadata.headers)).toBe(true);
  });

  it('rejects an empty message type', () => {
    expect(() => createMessage('', {})).toThrow(/non-empty string/);
  });

  it('carries the result type of commands and queries in the type system', () => {
    const query = createQuery<'GetBalance', { accountId: string }, number>('GetBalance', { accountId: 'a' });
    expectTypeOf(query).toEqualTypeOf<Query<'GetBalance', { accountId: string }, number>>();
    expectTypeOf<ResultOf<typeof query>>().toEqualTypeOf<number>();
    expectTypeOf<ResultOf<Command<'Close', object, { closedAt: string }>>>().toEqualTypeOf<{
      closedAt: string;
    }>();
    expect(query.type).toBe('GetBalance');
  });

  it.each([
    ['a message that starts a flow', undefined],
    ['a message with a cause', { causedBy: createEvent('Opened', {}) }],
    ['a message with metadata of its own', { metadata: { tenantId: 't-1', headers: { user: 'u' } } }],
  ])('reads the system clock once for %s: the id carries the millisecond of occurredAt', (_, options) => {
    // Each reading a millisecond later (and later than any id made so far in this file), so two
    // readings would put different times in the id and in occurredAt.
    let reading = Date.now() + 60_000;
    const now = vi.spyOn(Date, 'now').mockImplementation(() => ++reading);
    try {
      const { metadata } = createCommand('Ping', {}, options);
      expect(now).toHaveBeenCalledTimes(1);
      expect(parseInt(metadata.messageId.replace(/-/g, '').slice(0, 12), 16)).toBe(
        Date.parse(metadata.occurredAt),
      );
    } finally {
      now.mockRestore();
    }
  });

  it('freezes a caused message, its metadata and headers, with its fields in the order of Metadata', () => {
    const cause = createEvent('Opened', {}, { metadata: { tenantId: 't-1' } });
    const aggregate = { type: 'Order', id: '42', stream: 'Order-42', version: 3 };
    for (const options of [
      { causedBy: cause },
      { causedBy: cause, metadata: { aggregate, headers: { a: 'b' } } },
    ]) {
      const message = createCommand('Ping', {}, options);
      expect(Object.isFrozen(message.metadata)).toBe(true);
      expect(Object.isFrozen(message.metadata.headers)).toBe(true);
      expect(Object.keys(message.metadata)).toEqual(
        [
          'messageId',
          'correlationId',
          'causationId',
          'occurredAt',
          'tenantId',
          'headers',
          'aggregate',
        ].filter((key) => key in message.metadata),
      );
      expect(message.metadata).toMatchObject({
        correlationId: cause.metadata.correlationId,
        causationId: cause.metadata.messageId,
        tenantId: 't-1',
      });
    }
  });

  it('takes an explicit id and time as given, reading no clock for them', () => {
    const clock = new ManualClock(new Date('2026-03-04T05:06:07.000Z'));
    const read = vi.spyOn(clock, 'now');
    const metadata = createMetadata({
      clock,
      metadata: { messageId: 'm-1', occurredAt: '2026-01-01T00:00:00.000Z' },
    });
    expect(metadata).toMatchObject({ messageId: 'm-1', occurredAt: '2026-01-01T00:00:00.000Z' });
    expect(read).not.toHaveBeenCalled();
    expect(createMetadata({ clock, metadata: { messageId: 'm-2' } }).occurredAt).toBe(
      '2026-03-04T05:06:07.000Z',
    );
  });
});
