import { createCommand, createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { causesInFlight } from './causesInFlight.js';
import { InFlight } from './inFlight.js';

const causedBy = (parent: Message | undefined, type = 'Followed'): Message =>
  createEvent(type, {}, parent === undefined ? {} : { causedBy: parent });

describe('InFlight', () => {
  afterEach(() => expect(causesInFlight.size).toBe(0));

  it('counts like a multiset of messages whatever the order of enters and leaves', () => {
    const root = createEvent('Root', {});
    // One message with a cause, so the process-wide registry is counted along.
    const messages = [root, causedBy(root), createEvent('Other', {})];
    const step = fc.record({ enter: fc.boolean(), index: fc.constantFrom(0, 1, 2) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const inFlight = new InFlight();
        const counts = [0, 0, 0];
        for (const { enter, index } of steps) {
          if (enter) {
            inFlight.enter(messages[index]!);
            counts[index]!++;
          } else if (counts[index]! > 0) {
            inFlight.leave(messages[index]!);
            counts[index]!--;
          }
          messages.forEach((message, other) =>
            expect(inFlight.has(message.metadata.messageId)).toBe(counts[other]! > 0),
          );
          expect(causesInFlight.size).toBe(counts[1]! > 0 ? 1 : 0);
        }
        counts.forEach((count, index) => {
          for (let left = 0; left < count; left++) inFlight.leave(messages[index]!);
        });
      }),
    );
  });

  it('tells a message caused by one in flight', () => {
    const inFlight = new InFlight();
    const cause = createEvent('Caused', {});
    inFlight.enter(cause);
    expect(inFlight.causedByOneOf(causedBy(cause))).toBe(true);
    expect(inFlight.causedByOneOf(causedBy(undefined))).toBe(false);
    inFlight.leave(cause);
    expect(inFlight.causedByOneOf(causedBy(cause))).toBe(false);
  });

  it('follows causes back through the messages other buses are handling', () => {
    const inFlight = new InFlight();
    const delivered = createEvent('Opened', {});
    const command = createCommand('Deposit', {}, { causedBy: delivered });
    const query = createCommand('Balance', {}, { causedBy: command });
    const raised = causedBy(query, 'Deposited');
    inFlight.enter(delivered);
    expect(inFlight.causedByOneOf(raised)).toBe(false); // the command and query are not handled yet
    causesInFlight.enter(command);
    causesInFlight.enter(query);
    expect(inFlight.causedByOneOf(raised)).toBe(true);
    causesInFlight.leave(command); // the chain is broken once the command's handling has ended
    expect(inFlight.causedByOneOf(raised)).toBe(false);
    causesInFlight.leave(query);
    inFlight.leave(delivered);
  });

  it('stops following causes that loop', () => {
    const inFlight = new InFlight();
    const first = createEvent('A', {}, { metadata: { messageId: 'a', causationId: 'b' } });
    const second = createEvent('B', {}, { metadata: { messageId: 'b', causationId: 'a' } });
    causesInFlight.enter(first);
    causesInFlight.enter(second);
    expect(inFlight.causedByOneOf(first)).toBe(false);
    causesInFlight.leave(first);
    causesInFlight.leave(second);
  });
});
