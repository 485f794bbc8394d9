import { createCommand, createEvent, isValidationError } from '@keel/core';
import type { Message } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { createEventBus } from '../eventBus/eventBus.js';
import { correlationMiddleware, currentMessage } from './correlationMiddleware.js';

function wire(correlation: 'ambient' | 'explicit' | 'none' = 'ambient') {
  const middleware =
    correlation === 'none' ? [] : [correlationMiddleware({ ambient: correlation === 'ambient' })];
  const commands = createCommandBus({ middleware });
  const events = createEventBus({ middleware });
  const published: Message[] = [];
  events.subscribe('*', (event) => void published.push(event));
  return { commands, events, published };
}

describe('correlationMiddleware({ ambient: true })', () => {
  it('stamps events published while a command is handled with its correlation id and its id as causation', async () => {
    const { commands, events, published } = wire();
    commands.register('Open', async () => {
      await Promise.resolve();
      await events.publish([createEvent('Opened', {})]);
    });
    const open = createCommand(
      'Open',
      {},
      { metadata: { messageId: 'cmd-1', correlationId: 'flow-1', tenantId: 't-1' } },
    );
    await commands.execute(open);
    expect(published[0]!.metadata).toMatchObject({
      correlationId: 'flow-1',
      causationId: 'cmd-1',
      tenantId: 't-1',
    });
  });

  it('carries the flow on to commands sent from event handlers', async () => {
    const { commands, events } = wire();
    let sent: Message | undefined;
    commands.register('Notify', (command) => void (sent = command));
    events.subscribe('Opened', () => commands.send('Notify', {}));
    const opened = createEvent('Opened', {}, { metadata: { correlationId: 'flow-2' } });
    await events.publish([opened]);
    expect(sent?.metadata).toMatchObject({ correlationId: 'flow-2', causationId: opened.metadata.messageId });
  });

  it('leaves a message that already names its cause unchanged', async () => {
    const { commands, events, published } = wire();
    const other = createEvent('Other', {});
    commands.register('Open', () => events.publish([createEvent('Opened', {}, { causedBy: other })]));
    await commands.send('Open', {});
    expect(published[0]!.metadata.causationId).toBe(other.metadata.messageId);
  });

  it('stamps nothing when the middleware is not installed', async () => {
    const { commands, events, published } = wire('none');
    commands.register('Open', () => events.publish([createEvent('Opened', {})]));
    await commands.send('Open', {});
    expect(published[0]!.metadata.causationId).toBeUndefined();
  });

  it('exposes the message being handled through currentMessage', async () => {
    const { commands } = wire();
    commands.register('Open', () => currentMessage()?.type);
    await expect(commands.send('Open', {})).resolves.toBe('Open');
    expect(currentMessage()).toBeUndefined();
  });

  it('does not deadlock when a handler publishes to its own ordered bus without naming a cause', async () => {
    const events = createEventBus({ concurrency: 1, middleware: [correlationMiddleware({ ambient: true })] });
    const streamed = (type: string) => createEvent(type, {}, { metadata: { headers: { streamId: 's-1' } } });
    const seen: Message[] = [];
    events.subscribe('Opened', () => events.publish([streamed('Welcomed')]));
    events.subscribe('Welcomed', (event) => void seen.push(event));
    const opened = streamed('Opened');
    await events.publish([opened]);
    expect(seen[0]!.metadata.causationId).toBe(opened.metadata.messageId);
  });
});

describe('correlationMiddleware({ ambient: true }) across buses', () => {
  it('lets an event handler send a command whose handler publishes to the same ordered bus', async () => {
    const ambient = [correlationMiddleware({ ambient: true })];
    const events = createEventBus({ middleware: ambient, concurrency: 1 });
    const commands = createCommandBus({ middleware: ambient });
    const streamed = (type: string) => createEvent(type, {}, { metadata: { headers: { streamId: 's-1' } } });
    const seen: Message[] = [];
    commands.register('GrantBonus', () => events.publish([streamed('BonusGranted')]));
    events.subscribe('Opened', () => commands.send('GrantBonus', {}));
    events.subscribe('BonusGranted', (event) => void seen.push(event));
    const opened = streamed('Opened');
    await events.publish([opened]);
    expect(seen[0]!.metadata.correlationId).toBe(opened.metadata.correlationId);
  });
});

describe('correlationMiddleware (explicit, the default)', () => {
  it('keeps no ambient scope: a handler passes its message on as the cause', async () => {
    const { commands, events, published } = wire('explicit');
    commands.register('Open', async (_command, context) => {
      expect(currentMessage()).toBeUndefined();
      await events.publish([
        createEvent('Opened', {}),
        createEvent('Opened', {}, { causedBy: context.message }),
      ]);
    });
    await commands.send('Open', {}, { metadata: { messageId: 'cmd-3', correlationId: 'flow-3' } });
    expect(published[0]!.metadata.causationId).toBeUndefined();
    expect(published[1]!.metadata).toMatchObject({ correlationId: 'flow-3', causationId: 'cmd-3' });
  });

  it('gives a message without a correlation id its own id as correlation id', async () => {
    const { commands } = wire('explicit');
    commands.register('Open', (command) => command.metadata.correlationId);
    const bare = { type: 'Open', data: {}, metadata: { messageId: 'm-7', occurredAt: '', headers: {} } };
    await expect(commands.execute(bare as unknown as Message<'Open'>)).resolves.toBe('m-7');
  });

  it('hands a message that has a correlation id on unchanged', async () => {
    const { commands } = wire('explicit');
    let seen: Message | undefined;
    commands.register('Open', (command) => void (seen = command));
    const open = createCommand('Open', {});
    await commands.execute(open);
    expect(seen).toBe(open);
  });

  it('keeps the explicit default when ambient is given as undefined, and refuses a non-boolean', async () => {
    const commands = createCommandBus({ middleware: [correlationMiddleware({ ambient: undefined })] });
    commands.register('Open', () => currentMessage());
    await expect(commands.send('Open', {})).resolves.toBeUndefined();
    expect(() => correlationMiddleware({ ambient: 'yes' as unknown as boolean })).toThrow(
      expect.toSatisfy(isValidationError),
    );
  });
});
