import { describe, expect, it } from 'vitest';
import { collect } from './collect.js';
import { flattenPages, pageThrough } from './pages.js';
import type { RecordedEvent } from './recordedEvent.js';

const event = (position: number) => ({ globalPosition: position }) as RecordedEvent;

describe('flattenPages', () => {
  it('hands out the events of every page in order', async () => {
    async function* pages() {
      yield [event(1), event(2)];
      yield [event(3)];
    }
    expect((await collect(flattenPages(pages()))).map((e) => e.globalPosition)).toEqual([1, 2, 3]);
  });

  it('closes the page source when the consumer stops early', async () => {
    let closed = false;
    async function* pages() {
      try {
        yield [event(1), event(2)];
        yield [event(3)];
      } finally {
        closed = true;
      }
    }
    for await (const item of flattenPages(pages())) {
      expect(item.globalPosition).toBe(1);
      break;
    }
    expect(closed).toBe(true);
  });
});
/** Events at global positions 1..count, as a store would hold them. */
function eventsUpTo(count: number): RecordedEvent[] {
  return Array.from({ length: count }, (_, index) => ({ globalPosition: index + 1 }) as RecordedEvent);
}

async function collectPages(pages: AsyncIterable<RecordedEvent[]>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const page of pages) out.push(page.map((event) => event.globalPosition));
  return out;
}

describe('pageThrough', () => {
  const all = eventsUpTo(7);
  const fetchPage = (from: number, limit: number): RecordedEvent[] =>
    all.filter((event) => event.globalPosition >= from).slice(0, limit);

  it('fetches pages of pageSize until a short page ends it', async () => {
    const pages = pageThrough(fetchPage, {
      from: 1,
      pageSize: 3,
      nextFrom: (last) => last.globalPosition + 1,
    });
    expect(await collectPages(pages)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('stops at maxCount, asking only for what is still wanted', async () => {
    const asked: number[] = [];
    const pages = pageThrough(
      (from, limit) => {
        asked.push(limit);
        return fetchPage(from, limit);
      },
      { from: 2, pageSize: 3, maxCount: 4, nextFrom: (last) => last.globalPosition + 1 },
    );
    expect(await collectPages(pages)).toEqual([[2, 3, 4], [5]]);
    expect(asked).toEqual([3, 1]);
  });

  it('fetches one more page after an exactly full one, and yields nothing for it when empty', async () => {
    const pages = pageThrough(fetchPage, {
      from: 1,
      pageSize: 7,
      nextFrom: (last) => last.globalPosition + 1,
    });
    expect(await collectPages(pages)).toEqual([[1, 2, 3, 4, 5, 6, 7]]);
  });

  it('rejects with the abort reason between pages', async () => {
    const controller = new AbortController();
    const reason = new Error('stop paging');
    const seen: number[][] = [];
    const pages = pageThrough(fetchPage, {
      from: 1,
      pageSize: 2,
      signal: controller.signal,
      nextFrom: (last) => last.globalPosition + 1,
    });
    const reading = (async () => {
      for await (const page of pages) {
        seen.push(page.map((event) => event.globalPosition));
        controller.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(seen).toEqual([[1, 2]]);
  });
});
