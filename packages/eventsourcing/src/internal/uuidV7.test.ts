import { isUuid, ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { UuidV7Generator } from './uuidV7.js';

describe('UuidV7Generator', () => {
  it('makes version 7, variant 10 UUIDs carrying the clock time', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 17, 0, 0, 123));
    const id = new UuidV7Generator(clock).next();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(clock.now());
  });

  it('makes strictly increasing, unique ids within one millisecond and across many', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const generator = new UuidV7Generator(clock);
    const ids: string[] = [];
    for (let index = 0; index < 20_000; index++) {
      ids.push(generator.next());
      if (index % 7_000 === 0) clock.advance(1);
    }
    expect(ids.every((id, index) => index === 0 || id > ids[index - 1]!)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
