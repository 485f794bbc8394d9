import { toStorableJson } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storedEventOf, toRecordedEvent } from './storedEvent.js';
import type { SerializedEvent } from './storedEvent.js';

const PLACE = { streamName: 's-1', streamVersion: 1, globalPosition: 1, eventId: 'e-1', recordedAt: 0 };

/** What a SQL store hands back for `value`: its JSON text, parsed. */
const parsedAgain = (text: string | undefined): unknown =>
  text === undefined ? undefined : JSON.parse(text);

const serialized = (data: unknown, metadata: unknown = {}): SerializedEvent => ({
  type: 'T',
  data: toStorableJson(data, 'the data'),
  metadata: toStorableJson(metadata, 'the metadata') ?? '{}',
});

/** Equal, with own keys in the same order at every level. */
function expectSameJson(actual: unknown, expected: unknown): void {
  expect(actual).toStrictEqual(expected);
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

describe('toRecordedEvent', () => {
  it('hands out what parsing the stored JSON again would give, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()), (data, metadata) => {
        const event = serialized(data, metadata);
        const read = toRecordedEvent(storedEventOf(event, PLACE));
        expectSameJson(read.data, parsedAgain(event.data));
        expectSameJson(read.metadata, parsedAgain(event.metadata));
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('keeps a "__proto__" key an own property, as JSON.parse does', () => {
    const stored = storedEventOf(
      { type: 'T', data: '{"__proto__":{"polluted":true},"a":1}', metadata: '{}' },
      PLACE,
    );
    const data = toRecordedEvent(stored).data as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__', 'a']);
    expect(data['__proto__']).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('gives every read its own objects: changing one read changes neither the store nor the next read', () => {
    const stored = storedEventOf(serialized({ items: [{ n: 1 }], note: 'x' }, { tag: ['a'] }), PLACE);
    const first = toRecordedEvent(stored);
    (first.data as { items: { n: number }[] }).items[0]!.n = 99;
    (first.metadata as unknown as { tag: string[] }).tag.push('b');
    first.recordedAt.setTime(1);
    const second = toRecordedEvent(stored);
    expect(second.data).toEqual({ items: [{ n: 1 }], note: 'x' });
    expect(second.metadata).toEqual({ tag: ['a'] });
    expect(second.recordedAt.getTime()).toBe(0);
  });

  it('keeps an event without data without data', () => {
    const read = toRecordedEvent(storedEventOf(serialized(undefined), PLACE));
    expect(read.data).toBeUndefined();
    expect('data' in read).toBe(true);
  });
});
