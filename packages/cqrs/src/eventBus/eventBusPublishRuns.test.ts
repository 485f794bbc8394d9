import { createEvent } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventBus } from './eventBus.js';

interface Events {
  Moved: { v: number };
}

const moved = (v: number, stream = 'Acct-1') =>
  createEvent('Moved', { v }, { metadata: { aggregate: { type: 'Acct', id: stream, stream, version: v } } });

/** A bus whose one handler records `data.v` after yielding `steps(v)` times. */
function recordingBus(options: Parameters<typeof createEventBus>[0], steps = (_v: number) => 3) {
  const bus = createEventBus<Events>(options);
  const seen: number[] = [];
  bus.subscribe('Moved', async (event) => {
    for (let step = 0; step < steps(event.data.v); step++) await Promise.resolve();
    seen.push(event.data.v);
  });
  return { bus, seen };
}

describe('EventBus publish of several events of one ordering key', () => {
  it('delivers them in one turn, before a concurrent publish of the same key', async () => {
    const { bus, seen } = recordingBus({});
    await Promise.all([bus.publish([moved(1), moved(2)]), bus.publish([moved(3)])]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('delivers them in one turn in background mode', async () => {
    const { bus, seen } = recordingBus({ delivery: 'background' });
    await Promise.all([bus.publish([moved(1), moved(2)]), bus.publish([moved(3)])]);
    await bus.drain();
    expect(seen).toEqual([1, 2, 3]);
  });

  it("delivers them in one turn with nestedPublishes: 'detect'", async () => {
    const { bus, seen } = recordingBus({ nestedPublishes: 'detect' });
    await Promise.all([bus.publish([moved(1), moved(2)]), bus.publish([moved(3)])]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('never lets a concurrent publish of the same key come between them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(4), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        fc.constantFrom<'wait' | 'background'>('wait', 'background'),
        async (delays, singleFirst, delivery) => {
          const { bus, seen } = recordingBus({ delivery }, (v) => delays[v - 1]!);
          const run = () => bus.publish([moved(1), moved(2), moved(3)]);
          const single = () => bus.publish([moved(4)]);
          await (singleFirst ? Promise.all([single(), run()]) : Promise.all([run(), single()]));
          await bus.drain();
          expect(seen).toEqual(singleFirst ? [4, 1, 2, 3] : [1, 2, 3, 4]);
        },
      ),
      { seed: 5, numRuns: 60 },
    );
  });

  it('starts each event of the run only after the previous one finished, and reports every failure', async () => {
    const bus = createEventBus<Events>();
    const trace: string[] = [];
    bus.subscribe('Moved', async (event) => {
      trace.push(`start ${event.data.v}`);
      await Promise.resolve();
      trace.push(`end ${event.data.v}`);
      if (event.data.v !== 2) throw new Error(`failed ${event.data.v}`);
    });
    const error = await bus.publish([moved(1), moved(2), moved(3)]).catch((e: unknown) => e);
    expect(trace).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect((error as { failures: { error: Error }[] }).failures.map((f) => f.error.message)).toEqual([
      'failed 1',
      'failed 3',
    ]);
  });

  it('queues for the turn of a later key only when it gets there, so a handler may await a publish of that key', async () => {
    const bus = createEventBus<Events>();
    const seen: string[] = [];
    bus.subscribe('Moved', async (event) => {
      seen.push(`${event.metadata.aggregate!.stream}:${event.data.v}`);
      // No cause: not nested, so it waits for the key's queue like any publish.
      if (event.data.v === 1) await bus.publish([moved(9, 'Acct-B')]);
    });
    await bus.publish([moved(1, 'Acct-A'), moved(2, 'Acct-B')]);
    expect(seen).toEqual(['Acct-A:1', 'Acct-B:9', 'Acct-B:2']);
  });

  it('gives a key a new turn when its events are not next to each other', async () => {
    const bus = createEventBus<Events>();
    const seen: number[] = [];
    let publishedBetween: Promise<void> | undefined;
    bus.subscribe('Moved', (event) => {
      seen.push(event.data.v);
      if (event.data.v === 2) publishedBetween = bus.publish([moved(4, 'Acct-A')]);
    });
    await bus.publish([moved(1, 'Acct-A'), moved(2, 'Acct-B'), moved(3, 'Acct-A')]);
    await publishedBetween;
    expect(seen).toEqual([1, 2, 4, 3]);
  });
});
