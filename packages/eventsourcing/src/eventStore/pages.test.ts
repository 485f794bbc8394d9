import { describe, expect, it } from 'vitest';
import { collect } from './collect.js';
import { flattenPages } from './pages.js';
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
