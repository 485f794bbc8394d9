import { createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InFlight } from './inFlight.js';

describe('InFlight', () => {
  it('counts like a multiset of ids whatever the order of enters and leaves', () => {
    const ids = ['a', 'b', 'c'];
    const step = fc.record({ enter: fc.boolean(), id: fc.constantFrom(...ids) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const inFlight = new InFlight();
        const counts = new Map<string, number>();
        for (const { enter, id } of steps) {
          const count = counts.get(id) ?? 0;
          if (enter) {
            inFlight.enter(id);
            counts.set(id, count + 1);
          } else if (count > 0) {
            inFlight.leave(id);
            counts.set(id, count - 1);
          }
          for (const other of ids) expect(inFlight.has(other)).toBe((counts.get(other) ?? 0) > 0);
        }
      }),
    );
  });

  it('tells a message caused by one in flight', () => {
    const inFlight = new InFlight();
    const cause = createEvent('Caused', {});
    const causedBy = (parent: Message | undefined) =>
      createEvent('Followed', {}, parent === undefined ? {} : { causedBy: parent });
    inFlight.enter(cause.metadata.messageId);
    expect(inFlight.causedByOneOf(causedBy(cause))).toBe(true);
    expect(inFlight.causedByOneOf(causedBy(undefined))).toBe(false);
    inFlight.leave(cause.metadata.messageId);
    expect(inFlight.causedByOneOf(causedBy(cause))).toBe(false);
  });
});
