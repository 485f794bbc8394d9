import { createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { isEventBusClosedError } from '../errors/errors.js';
import type {
  EventTransport,
  TransportHandler,
  TransportSubscribeOptions,
} from '../transport/eventTransport.js';
import { InProcessEventTransport } from '../transport/inProcessEventTransport.js';
import { createEventBus } from './eventBus.js';

interface DurableOptions extends TransportSubscribeOptions {
  durableName?: string;
}

/** A transport that records the options each subscription was made with. */
class RecordingTransport implements EventTransport {
  readonly subscribed: (DurableOptions | undefined)[] = [];
  async publish(): Promise<void> {}
  async subscribe(_handler: TransportHandler, options?: DurableOptions) {
    this.subscribed.push(options);
    return { close: async () => {} };
  }
  async close(): Promise<void> {}
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('EventBus.consume', () => {
  it('hands its options to the transport unchanged, transport-specific ones included', async () => {
    const transport = new RecordingTransport();
    const bus = createEventBus();
    const signal = new AbortController().signal;
    await bus.consume(transport, { durableName: 'billing', signal });
    expect(transport.subscribed).toEqual([{ durableName: 'billing', signal }]);
  });
});

describe('EventBus.consume with options given as undefined', () => {
  it('subscribes with the transport defaults and delivers', async () => {
    const transport = new InProcessEventTransport();
    const bus = createEventBus();
    const seen: string[] = [];
    bus.subscribe('Opened', (event) => void seen.push(event.type));
    await bus.consume(transport, { signal: undefined });
    await bus.consume(new RecordingTransport());
    await transport.publish([createEvent('Opened', {})]);
    expect(seen).toEqual(['Opened']);
  });
});

describe('EventBus.close', () => {
  it('rejects publish and consume afterwards with an EventBusClosedError', async () => {
    const bus = createEventBus();
    await bus.close();
    const event = createEvent('Opened', {});
    await expect(bus.publish([event])).rejects.toSatisfy(isEventBusClosedError);
    await expect(bus.publish([event], { delivery: 'background' })).rejects.toSatisfy(isEventBusClosedError);
    await expect(bus.consume(new InProcessEventTransport())).rejects.toSatisfy(isEventBusClosedError);
  });

  it('rejects publishing through a transport after close', async () => {
    const transport = new InProcessEventTransport();
    const bus = createEventBus({ transport });
    await bus.close();
    const error = await bus.publish([createEvent('Opened', {})]).catch((e: unknown) => e);
    expect(isEventBusClosedError(error)).toBe(true);
    expect((error as Error).message).toContain('closed');
  });

  it('refuses new publishes while draining but lets running handlers publish follow-ups', async () => {
    const bus = createEventBus({ delivery: 'background' });
    const gate = deferred();
    const seen: string[] = [];
    bus.subscribe('Opened', async (event) => {
      await gate.promise;
      await bus.publish([createEvent('FollowedUp', {}, { causedBy: event })]);
    });
    bus.subscribe('FollowedUp', () => void seen.push('follow-up'));
    await bus.publish([createEvent('Opened', {})]);
    const closing = bus.close();
    await expect(bus.publish([createEvent('Opened', {})])).rejects.toSatisfy(isEventBusClosedError);
    gate.resolve();
    await closing;
    expect(seen).toEqual(['follow-up']);
  });
});

describe('EventBus background publishes from handlers', () => {
  it('keep their ordering key order behind the event being handled', async () => {
    const bus = createEventBus();
    const trace: string[] = [];
    const stream = (type: string) => createEvent(type, {}, { metadata: { headers: { streamId: 's-1' } } });
    bus.subscribe('First', async () => {
      await bus.publish([stream('Second')], { delivery: 'background' });
      await flush();
      trace.push('first done');
    });
    bus.subscribe('Second', () => void trace.push('second'));
    await bus.publish([stream('First')]);
    await bus.drain();
    expect(trace).toEqual(['first done', 'second']);
  });

  it('take a concurrency slot like any other delivery', async () => {
    const bus = createEventBus({ concurrency: 1 });
    const gate = deferred();
    let parentRunning = false;
    const childSawParent: boolean[] = [];
    bus.subscribe('Parent', async () => {
      parentRunning = true;
      await bus.publish([createEvent('Child', {})], { delivery: 'background' });
      await gate.promise;
      parentRunning = false;
    });
    bus.subscribe('Child', () => void childSawParent.push(parentRunning));
    const parent = bus.publish([createEvent('Parent', {})]);
    await flush();
    expect(childSawParent).toEqual([]);
    gate.resolve();
    await parent;
    await bus.drain();
    expect(childSawParent).toEqual([false]);
  });

  it('are delivered in the order they were published per key across handlers', async () => {
    const bus = createEventBus();
    const seen: number[] = [];
    const numbered = (n: number): Message =>
      createEvent('Numbered', { n }, { metadata: { headers: { streamId: 's-2' } } });
    bus.subscribe('Trigger', async () => {
      for (let n = 1; n <= 5; n++) await bus.publish([numbered(n)], { delivery: 'background' });
    });
    bus.subscribe('Numbered', async (event) => {
      const { n } = event.data as { n: number };
      if (n % 2 === 1) await flush();
      seen.push(n);
    });
    await bus.publish([createEvent('Trigger', {})]);
    await bus.drain();
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
