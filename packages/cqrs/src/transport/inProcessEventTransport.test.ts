import { createEvent, isCancelledError } from '@keel/core';
import type { Message } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createEventBus } from '../eventBus/eventBus.js';
import { isEventDeliveryError } from '../errors/errors.js';
import type { EventDeliveryError } from '../errors/errors.js';
import { InProcessEventTransport } from './inProcessEventTransport.js';
import { createCommandBus } from '../commandBus/commandBus.js';
import { correlationMiddleware } from '../middleware/correlationMiddleware.js';

const opened = (id: string) => createEvent('Opened', { id });

describe('InProcessEventTransport', () => {
  it('carries events published on one bus to the handlers of a consuming bus', async () => {
    const transport = new InProcessEventTransport();
    const publisher = createEventBus({ transport });
    const consumer = createEventBus();
    const seen: string[] = [];
    consumer.subscribe('Opened', (event) => void seen.push((event.data as { id: string }).id));
    await consumer.consume(transport);
    await publisher.publish([opened('a'), opened('b')]);
    expect(seen).toEqual(['a', 'b']);
  });

  it('does not deliver to the publishing bus its own handlers unless it consumes the transport', async () => {
    const transport = new InProcessEventTransport();
    const bus = createEventBus({ transport });
    const seen: string[] = [];
    bus.subscribe('Opened', (event) => void seen.push(event.type));
    await bus.publish([opened('a')]);
    expect(seen).toEqual([]);
    await bus.consume(transport);
    await bus.publish([opened('b')]);
    expect(seen).toEqual(['Opened']);
  });

  it('reports consumer failures from every subscriber back to the publisher as one error', async () => {
    const transport = new InProcessEventTransport();
    const first = createEventBus();
    const second = createEventBus();
    const delivered: string[] = [];
    first.subscribe(
      'Opened',
      () => {
        throw new Error('first failed');
      },
      { name: 'first' },
    );
    second.subscribe('Opened', (event) => void delivered.push(event.metadata.messageId));
    second.subscribe(
      'Opened',
      () => {
        throw new Error('second failed');
      },
      { name: 'second' },
    );
    await first.consume(transport);
    await second.consume(transport);
    const events = [opened('a'), opened('b')];
    const error = await transport.publish(events).catch((e: unknown) => e);
    expect(isEventDeliveryError(error)).toBe(true);
    expect(
      (error as EventDeliveryError).failures.map(
        (f) => `${f.handler}:${(f.event.data as { id: string }).id}`,
      ),
    ).toEqual(['first:a', 'second:a', 'first:b', 'second:b']);
    expect(delivered).toEqual(events.map((e) => e.metadata.messageId));
  });

  it('stops delivering to a bus once its consumption is stopped', async () => {
    const transport = new InProcessEventTransport();
    const bus = createEventBus();
    const seen: Message[] = [];
    bus.subscribe('Opened', (event) => void seen.push(event));
    const stop = await bus.consume(transport);
    expect(transport.subscriberCount).toBe(1);
    await stop();
    await transport.publish([opened('a')]);
    expect(seen).toEqual([]);
    expect(transport.subscriberCount).toBe(0);
  });

  it('detaches every consuming bus when the bus closes', async () => {
    const transport = new InProcessEventTransport();
    const bus = createEventBus();
    await bus.consume(transport);
    await bus.close();
    expect(transport.subscriberCount).toBe(0);
  });

  it('rejects publish with the abort reason when the signal is already aborted', async () => {
    const transport = new InProcessEventTransport();
    const reason = new Error('stop');
    await expect(transport.publish([opened('a')], { signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
  });
});

describe('InProcessEventTransport signals and closing', () => {
  it('aborts a running delivery with the publisher’s reason when the publisher’s signal aborts', async () => {
    const transport = new InProcessEventTransport();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await transport.subscribe(async (_event, { signal }) => {
      seen = signal;
      controller.abort(new Error('publisher gave up'));
    });
    await expect(transport.publish([opened('a')], { signal: controller.signal })).rejects.toThrow(
      'publisher gave up',
    );
    expect((seen!.reason as Error).message).toBe('publisher gave up');
  });

  it('aborts a running delivery of a publish with a signal when its subscription closes', async () => {
    const transport = new InProcessEventTransport();
    let seen: AbortSignal | undefined;
    const subscription = await transport.subscribe(async (_event, { signal }) => {
      seen = signal;
      void subscription.close();
    });
    await transport.publish([opened('a')], { signal: new AbortController().signal });
    expect(isCancelledError(seen!.reason)).toBe(true);
  });

  it('hands nothing more to a subscriber closed by an earlier subscriber during the same publish', async () => {
    const transport = new InProcessEventTransport();
    const seen: string[] = [];
    await transport.subscribe(async () => void later.close());
    const later = await transport.subscribe(async (event) => void seen.push(event.type));
    await transport.publish([opened('a'), opened('b')]);
    expect(seen).toEqual([]);
    expect(transport.subscriberCount).toBe(1);
  });

  it('waits for running deliveries when a subscription closes', async () => {
    const transport = new InProcessEventTransport();
    let finished = false;
    const subscription = await transport.subscribe(async (_event, { signal }) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.resolve();
      finished = true;
    });
    const publishing = transport.publish([opened('a')]);
    await subscription.close();
    expect(finished).toBe(true);
    await publishing;
  });
});

describe('InProcessEventTransport with correlation', () => {
  it('carries events already stamped with the command that caused them', async () => {
    const transport = new InProcessEventTransport();
    const publisher = createEventBus({ transport });
    const consumer = createEventBus();
    const received: Message[] = [];
    consumer.subscribe('Opened', (event) => void received.push(event));
    await consumer.consume(transport);
    const commands = createCommandBus({ middleware: [correlationMiddleware({ ambient: true })] });
    commands.register('Open', () => publisher.publish([opened('a')]));
    await commands.send('Open', {}, { metadata: { messageId: 'cmd-9', correlationId: 'flow-9' } });
    expect(received[0]!.metadata).toMatchObject({ correlationId: 'flow-9', causationId: 'cmd-9' });
  });
});
