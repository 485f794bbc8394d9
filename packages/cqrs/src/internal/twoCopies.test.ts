import { createCommand, createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as cqrs from '../index.js';

/**
 * Two loaded copies of the package, as when an app `import`s @keel/cqrs in one place and
 * `require`s it in another (its ESM and CommonJS builds then load side by side, with their own
 * module state). What the buses promise process-wide must hold across them.
 */
async function secondCopy(): Promise<typeof cqrs> {
  vi.resetModules();
  const copy = await import('../index.js');
  expect(copy.createEventBus).not.toBe(cqrs.createEventBus); // a second copy indeed
  return copy;
}

/** `promise`, or a rejection naming the hang when it has not settled after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

const onStream = (type: string, stream: string, causedBy?: Message): Message =>
  createEvent(type, {}, { causedBy, metadata: { headers: { streamId: stream } } });

afterEach(() => {
  vi.resetModules();
});

describe('two loaded copies of @keel/cqrs', () => {
  it('follow causes through a command bus of one copy to an event bus of the other', async () => {
    const other = await secondCopy();
    const events = cqrs.createEventBus();
    const commands = other.createCommandBus();
    const seen: string[] = [];
    // Opened's handler changes its own stream through a command of the other copy's bus.
    commands.register('Credit', async (command) => {
      await events.publish([onStream('Credited', 'account-1', command)]);
    });
    events.subscribe('Opened', async (event, context) => {
      await commands.send('Credit', {}, { causedBy: context.message });
      seen.push(event.type);
    });
    events.subscribe('Credited', (event) => {
      seen.push(event.type);
    });
    await within(events.publish([onStream('Opened', 'account-1')]), 5000, 'the nested publish');
    expect(seen).toEqual(['Credited', 'Opened']);
  });

  it('stamp what a handler of one copy sends through the other with ambient correlation', async () => {
    const other = await secondCopy();
    const commands = cqrs.createCommandBus({ middleware: [cqrs.correlationMiddleware({ ambient: true })] });
    const events = other.createEventBus();
    const delivered: Message[] = [];
    events.subscribe('Opened', (event) => {
      delivered.push(event);
    });
    let inHandler: Message | undefined;
    commands.register('Open', async () => {
      inHandler = other.currentMessage();
      await events.publish([createEvent('Opened', {})]);
    });
    const open = createCommand('Open', {});
    await commands.execute(open);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.metadata.causationId).toBe(open.metadata.messageId);
    expect(delivered[0]!.metadata.correlationId).toBe(open.metadata.correlationId);
    expect(inHandler?.metadata.messageId).toBe(open.metadata.messageId);
  });
});
