import { createEvent, createLogger, isValidationError } from '@keel/core';
import type { LogEntry, ValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import type { EventBusOptions } from './eventBusOptions.js';
import { EVENT_BUS_DEFAULTS } from './eventBusOptions.js';
import { createEventBus } from './eventBus.js';

const inStream = (n: number) => createEvent('Counted', { n }, { metadata: { headers: { streamId: 's-1' } } });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function issuesOf(options: EventBusOptions): string[] {
  try {
    createEventBus(options);
  } catch (error) {
    expect(isValidationError(error)).toBe(true);
    return (error as ValidationError).issues.map((issue) => issue.path.join('.'));
  }
  return [];
}

describe('EventBus options given as undefined keep their defaults', () => {
  const allUndefined: EventBusOptions = {
    middleware: undefined,
    handlerMiddleware: undefined,
    concurrency: undefined,
    orderingKey: undefined,
    delivery: undefined,
    onError: undefined,
    logger: undefined,
    transport: undefined,
    clock: undefined,
  };

  it('delivers in process and waits for the handlers (delivery and transport)', async () => {
    const bus = createEventBus(allUndefined);
    const seen: number[] = [];
    bus.subscribe('Counted', async (event) => {
      await flush();
      seen.push((event.data as { n: number }).n);
    });
    await bus.publish([inStream(1)]);
    expect(seen).toEqual([1]);
  });

  it('runs at most the default concurrency of handlers at once', async () => {
    const bus = createEventBus(allUndefined);
    const gate = deferred();
    let active = 0;
    let peak = 0;
    for (let i = 0; i < EVENT_BUS_DEFAULTS.concurrency + 4; i++) {
      bus.subscribe('Counted', async () => {
        peak = Math.max(peak, ++active);
        await gate.promise;
        active--;
      });
    }
    const publishing = bus.publish([createEvent('Counted', { n: 1 })]);
    await flush();
    expect(peak).toBe(EVENT_BUS_DEFAULTS.concurrency);
    gate.resolve();
    await publishing;
  });

  it('keys events by the aggregate stream they come from, else the streamId header, else the aggregateId header', () => {
    const key = EVENT_BUS_DEFAULTS.orderingKey;
    const aggregate = { type: 'Account', id: '42', stream: 'Account-42', version: 1 };
    const headers = { streamId: 'h-stream', aggregateId: 'h-aggregate' };
    expect(key(createEvent('Deposited', {}, { metadata: { aggregate, headers } }))).toBe('Account-42');
    expect(key(createEvent('Deposited', {}, { metadata: { headers } }))).toBe('h-stream');
    expect(key(createEvent('Deposited', {}, { metadata: { headers: { aggregateId: 'h-aggregate' } } }))).toBe(
      'h-aggregate',
    );
    expect(key(createEvent('Deposited', {}))).toBeUndefined();
  });

  it('orders events by the default ordering key (the streamId header)', async () => {
    const bus = createEventBus(allUndefined);
    const gate = deferred();
    const trace: string[] = [];
    bus.subscribe('Counted', async (event) => {
      const { n } = event.data as { n: number };
      trace.push(`start ${n}`);
      if (n === 1) await gate.promise;
      trace.push(`end ${n}`);
    });
    const first = bus.publish([inStream(1)]);
    const second = bus.publish([inStream(2)]);
    await flush();
    gate.resolve();
    await Promise.all([first, second]);
    expect(trace).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('logs background failures with the logger when onError is undefined, and stays quiet without one', async () => {
    const entries: LogEntry[] = [];
    const bus = createEventBus({ ...allUndefined, logger: createLogger((entry) => entries.push(entry)) });
    const quiet = createEventBus(allUndefined);
    for (const target of [bus, quiet])
      target.subscribe('Counted', () => {
        throw new Error('boom');
      });
    await bus.publish([inStream(1)], { delivery: 'background' });
    await quiet.publish([inStream(1)], { delivery: 'background' });
    await Promise.all([bus.close(), quiet.close()]);
    expect(entries.map((entry) => entry.level)).toEqual(['error']);
  });

  it('uses the bus delivery mode when a publish gives delivery undefined', async () => {
    const bus = createEventBus({ delivery: 'background' });
    const gate = deferred();
    bus.subscribe('Counted', () => gate.promise);
    await bus.publish([inStream(1)], { delivery: undefined });
    gate.resolve();
    await bus.drain();
  });

  it('names a handler by its function when the subscribe name is undefined', async () => {
    const bus = createEventBus();
    bus.subscribe(
      'Counted',
      function ledger() {
        throw new Error('x');
      },
      { name: undefined },
    );
    const error = await bus.publish([inStream(1)]).catch((e: unknown) => e);
    expect((error as { failures: { handler: string }[] }).failures[0]!.handler).toBe('ledger');
  });
});

describe('EventBus option checks', () => {
  it('accepts its documented values, Infinity concurrency included', () => {
    expect(issuesOf({ concurrency: Infinity, delivery: 'background' })).toEqual([]);
  });

  it('refuses every bad option at construction with one ValidationError', () => {
    expect(
      issuesOf({
        middleware: 'x' as never,
        handlerMiddleware: [42 as never],
        concurrency: 1.5,
        orderingKey: 'streamId' as never,
        delivery: 'later' as never,
        onError: true as never,
        logger: {} as never,
        transport: {} as never,
        // The bus reads only `now`: a clock without it is refused.
        clock: { sleep: () => Promise.resolve() } as never,
      }),
    ).toEqual([
      'middleware',
      'handlerMiddleware',
      'concurrency',
      'orderingKey',
      'delivery',
      'onError',
      'logger',
      'transport',
      'clock',
    ]);
  });

  it('refuses a bad delivery mode on publish and an empty handler name on subscribe', async () => {
    const bus = createEventBus();
    await expect(bus.publish([inStream(1)], { delivery: 'soon' as never })).rejects.toSatisfy(
      isValidationError,
    );
    expect(() => bus.subscribe('Counted', () => {}, { name: '' })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});
