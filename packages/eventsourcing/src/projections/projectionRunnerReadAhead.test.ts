import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../eventStore/recordedEvent.js';
import { ReadAhead } from './projectionRunnerReadAhead.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function eventAt(position: number): RecordedEvent {
  return {
    streamName: 's-1',
    streamVersion: position,
    globalPosition: position,
    eventId: `e-${position}`,
    type: 'Numbered',
    data: {},
    metadata: {},
    recordedAt: new Date(0),
  };
}

/** Resolves once `signal` aborts: a live subscription with nothing more to deliver. */
function idle(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * A subscription as a SQL store runs one: it reads a page (one turn of I/O), then yields the
 * page's events one at a time, then waits.
 */
function pagedSubscription(pages: readonly number[][], caughtUpAfter = false) {
  return async function* (
    signal: AbortSignal,
    onCaughtUp: (position: number) => void,
  ): AsyncGenerator<RecordedEvent> {
    for (const page of pages) {
      await nextTurn();
      for (const position of page) yield eventAt(position);
    }
    if (caughtUpAfter) onCaughtUp(pages.flat().at(-1) ?? 0);
    await idle(signal);
  };
}

const positions = (events: readonly RecordedEvent[]): number[] => events.map((event) => event.globalPosition);
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, n) => from + n);

describe('ReadAhead', () => {
  it('hands a page that the source yields one event at a time over as one batch', async () => {
    const ahead = new ReadAhead(pagedSubscription([range(1, 100)]), 1000, new AbortController().signal);
    const batch = await ahead.next();
    expect(positions(batch!.events)).toEqual(range(1, 100));
    await ahead.close();
  });

  it('still hands over at most batchSize events, the rest in the next batch', async () => {
    const ahead = new ReadAhead(pagedSubscription([range(1, 25)]), 10, new AbortController().signal);
    const sizes: number[] = [];
    for (let seen = 0; seen < 25;) {
      const batch = await ahead.next();
      sizes.push(batch!.events.length);
      seen += batch!.events.length;
    }
    expect(sizes).toEqual([10, 10, 5]);
    await ahead.close();
  });

  it('hands the events before a caught-up mark over with that mark', async () => {
    const ahead = new ReadAhead(pagedSubscription([range(1, 3)], true), 1000, new AbortController().signal);
    const batch = await ahead.next();
    expect(positions(batch!.events)).toEqual([1, 2, 3]);
    expect(batch!.caughtUp).toBe(3);
    await ahead.close();
  });

  it('keeps each page a batch of its own when the next page needs another read', async () => {
    const ahead = new ReadAhead(
      pagedSubscription([range(1, 4), range(5, 4)]),
      1000,
      new AbortController().signal,
    );
    const first = await ahead.next();
    expect(positions(first!.events)).toEqual(range(1, 4));
    const second = await ahead.next();
    expect(positions(second!.events)).toEqual(range(5, 4));
    await ahead.close();
  });
});
