import { describe, expect, it } from 'vitest';
import { createEvent } from '../messages/message.js';
import type { Message } from '../messages/message.js';
import { eventPublisher } from './eventPublisher.js';

describe('eventPublisher', () => {
  it('adapts a function and delivers events in order', async () => {
    const delivered: string[] = [];
    const publisher = eventPublisher((events: readonly Message[]) => {
      delivered.push(...events.map((event) => event.type));
    });
    await publisher.publish([createEvent('A', {}), createEvent('B', {})]);
    expect(delivered).toEqual(['A', 'B']);
  });

  it('rejects when the function fails, synchronously or not', async () => {
    const failing = eventPublisher(() => {
      throw new Error('broker down');
    });
    await expect(failing.publish([createEvent('A', {})])).rejects.toThrow('broker down');
  });
});
