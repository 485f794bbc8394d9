import { createCommand, createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { createEventBus } from '../eventBus/eventBus.js';
import type { Middleware } from '../middleware/middleware.js';
import { createQueryBus } from '../queryBus/queryBus.js';
import { causesInFlight } from './causesInFlight.js';

const cause = createEvent('Opened', {});
const caused = (type: string): Message => createCommand(type, {}, { causedBy: cause });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('causesInFlight, as the buses keep it', () => {
  afterEach(() => expect(causesInFlight.size).toBe(0));

  it('holds a caused command exactly while its pipeline runs, however it ends', async () => {
    const gate = deferred();
    const commands = createCommandBus();
    commands.register('Wait', () => gate.promise);
    commands.register('Fail', async () => {
      throw new Error('refused');
    });
    commands.register('Throw', () => {
      throw new Error('at once');
    });
    const waiting = caused('Wait');
    const running = commands.execute(waiting);
    expect(causesInFlight.causeOf(waiting.metadata.messageId)).toBe(cause.metadata.messageId);
    await expect(commands.execute(caused('Fail'))).rejects.toThrow('refused');
    await expect(commands.execute(caused('Throw'))).rejects.toThrow('at once');
    await expect(commands.execute(caused('Unknown'))).rejects.toThrow(/Unknown/);
    expect(causesInFlight.size).toBe(1);
    gate.resolve();
    await running;
  });

  it('keeps a command whose caller gave up until its handler ends', async () => {
    const gate = deferred();
    const commands = createCommandBus();
    commands.register('Wait', () => gate.promise);
    const controller = new AbortController();
    const waiting = caused('Wait');
    const running = commands.execute(waiting, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(running).rejects.toThrow('gave up');
    // The handler still runs: what it publishes still descends from the cause.
    expect(causesInFlight.causeOf(waiting.metadata.messageId)).toBe(cause.metadata.messageId);
    gate.resolve();
    await gate.promise;
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('drops a command whose middleware throws synchronously', async () => {
    const throwing: Middleware = () => {
      throw new Error('middleware broke');
    };
    const commands = createCommandBus({ middleware: [throwing] });
    commands.register('Any', () => 1);
    await expect(commands.execute(caused('Any'))).rejects.toThrow('middleware broke');
  });

  it('counts one message handled twice at once, and queries and events alike', async () => {
    const gates = [deferred(), deferred()];
    let calls = 0;
    const queries = createQueryBus();
    queries.register('Ask', () => gates[calls++]!.promise);
    const events = createEventBus();
    events.subscribe('Told', () => gates[1]!.promise);
    const asked = caused('Ask');
    const told = createEvent('Told', {}, { causedBy: cause });
    const first = queries.execute(asked);
    const second = queries.execute(asked);
    const delivered = events.publish([told]);
    expect(causesInFlight.size).toBe(2);
    gates[0]!.resolve();
    await first;
    expect(causesInFlight.causeOf(asked.metadata.messageId)).toBe(cause.metadata.messageId);
    gates[1]!.resolve();
    await Promise.all([second, delivered]);
  });

  it('notes nothing for a message without a cause', async () => {
    const gate = deferred();
    const commands = createCommandBus();
    commands.register('Wait', () => gate.promise);
    const running = commands.send('Wait', {});
    expect(causesInFlight.size).toBe(0);
    gate.resolve();
    await running;
  });
});
