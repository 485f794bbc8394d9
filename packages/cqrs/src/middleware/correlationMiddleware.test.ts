import { createCommand, createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createCommandBus } from '../commandBus/commandBus.js';
import { createEventBus } from '../eventBus/eventBus.js';
import { correlationMiddleware, currentMessage } from './correlationMiddleware.js';

function wire(withCorrelation = true) {
  const middleware = withCorrelation ? [correlationMiddleware()] : [];
  const commands = createCommandBus({ middleware });
  const events = createEventBus({ middleware });
  const published: Message[] = [];
  events.subscribe('*', (event) => void published.push(event));
  return { commands, events, published };
}

describe('correlationMiddleware', () => {
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
    const { commands, events, published } = wire(false);
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
});
