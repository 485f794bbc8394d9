import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manualClock.js';
import { isUuid } from './newId.js';
import { UuidV7Generator } from './uuidV7.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit millisecond timestamp an id carries. */
const timeOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

/** A clock whose readings are given in advance, one per `now()` call (the last one repeats). */
function scriptedClock(readings: readonly number[]): { now: () => number } {
  let index = 0;
  return { now: () => readings[Math.min(index++, readings.length - 1)]! };
}

/** Clock steps: mostly the same millisecond, sometimes forward, sometimes backwards (NTP). */
const clockSteps = fc.array(
  fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -5_000, max: 5_000 })),
  {
    minLength: 1,
    maxLength: 400,
  },
);

function readingsOf(start: number, steps: readonly number[]): number[] {
  let time = start;
  return steps.map((step) => (time = Math.max(0, time + step)));
}

describe('UuidV7Generator', () => {
  it('makes version 7, variant 10 UUIDs carrying the clock time', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 17, 0, 0, 123));
    const id = new UuidV7Generator({ clock }).next();
    expect(id).toMatch(V7);
    expect(isUuid(id)).toBe(true);
    expect(timeOf(id)).toBe(clock.now());
  });

  it('makes valid, unique ids that sort in generation order whatever the clock does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), clockSteps, (start, steps) => {
        const generator = new UuidV7Generator({ clock: scriptedClock(readingsOf(start, steps)) });
        const ids = steps.map(() => generator.next());
        expect(ids.every((id) => V7.test(id))).toBe(true);
        expect(ids.every((id, index) => index === 0 || id > ids[index - 1]!)).toBe(true);
      }),
      { seed: 21, numRuns: 200 },
    );
  });

  it('never puts a time earlier than the clock reading in an id', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), clockSteps, (start, steps) => {
        const readings = readingsOf(start, steps);
        const generator = new UuidV7Generator({ clock: scriptedClock(readings) });
        for (const reading of readings) expect(timeOf(generator.next())).toBeGreaterThanOrEqual(reading);
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it('keeps counting past 4,096 ids in one millisecond by moving to the next millisecond', () => {
    const clock = new ManualClock(1_700_000_000_000);
    const generator = new UuidV7Generator({ clock });
    const ids = Array.from({ length: 20_000 }, () => generator.next());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, index) => index === 0 || id > ids[index - 1]!)).toBe(true);
    expect(timeOf(ids.at(-1)!)).toBeGreaterThan(clock.now());
  });

  it('stays ordered when the clock jumps back by an hour', () => {
    const generator = new UuidV7Generator({ clock: scriptedClock([1_700_000_000_000, 1_699_996_400_000]) });
    const before = generator.next();
    const after = generator.next();
    expect(after > before).toBe(true);
    expect(timeOf(after)).toBe(timeOf(before));
  });

  it('treats a clock before 1970 or not a number as the epoch and still orders the ids', () => {
    const generator = new UuidV7Generator({ clock: scriptedClock([-10, Number.NaN, 0]) });
    const ids = [generator.next(), generator.next(), generator.next()];
    expect(ids.every((id) => V7.test(id) && timeOf(id) === 0)).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });

  it.each([
    ['Infinity', Infinity],
    ['2^48', 2 ** 48],
    ['2^60', 2 ** 60],
  ])('keeps its time and counts on when the clock reads %s, then follows the clock again', (_, reading) => {
    const later = 1_700_000_000_000;
    let calls = 0;
    const generator = new UuidV7Generator({ clock: { now: () => (++calls <= 10_001 ? reading : later) } });
    const ids = Array.from({ length: 10_000 }, () => generator.next());
    expect(ids.every((id) => V7.test(id))).toBe(true);
    expect(ids.every((id, index) => index === 0 || id > ids[index - 1]!)).toBe(true);
    expect(timeOf(ids.at(-1)!)).toBeLessThan(10); // counted on from the epoch, 4,096 ids at most a millisecond
    const stillOut = generator.next();
    const recovered = generator.next();
    expect(stillOut > ids.at(-1)!).toBe(true);
    expect(recovered > stillOut).toBe(true);
    expect(timeOf(recovered)).toBe(later);
  });

  it('does not let a clock reading past 48 bits move the time of a running generator', () => {
    const start = 1_700_000_000_000;
    const generator = new UuidV7Generator({ clock: scriptedClock([start, Infinity, 2 ** 48, start + 1]) });
    const ids = [generator.next(), generator.next(), generator.next(), generator.next()];
    expect(ids.map(timeOf)).toEqual([start, start, start, start + 1]);
    expect([...new Set(ids)].sort()).toEqual(ids);
  });

  it('throws a RangeError, instead of wrapping around, once the last 48-bit millisecond is used up', () => {
    const last = 2 ** 48 - 1;
    const generator = new UuidV7Generator({ clock: new ManualClock(last) });
    const ids: string[] = [];
    const fill = (): void => {
      for (let index = 0; index <= 0xfff; index++) ids.push(generator.next());
    };
    expect(fill).toThrow(RangeError);
    expect(ids.length).toBeGreaterThan(0x800); // a counter seed is at most 0x7ff
    expect(ids.every((id) => V7.test(id) && id.startsWith('ffffffff-ffff-'))).toBe(true);
    expect(ids.at(-1)!.slice(14, 18)).toBe('7fff');
    expect(() => generator.next()).toThrow(/48-bit/);
  });

  it('draws random bytes in batches, not once per id', () => {
    let fills = 0;
    const generator = new UuidV7Generator({
      clock: new ManualClock(0),
      randomFill: (bytes) => {
        fills++;
        globalThis.crypto.getRandomValues(bytes);
      },
    });
    for (let index = 0; index < 1_000; index++) generator.next();
    expect(fills).toBe(1);
  });

  it('puts the random source into the last 62 bits', () => {
    const generator = new UuidV7Generator({
      clock: new ManualClock(0),
      randomFill: (bytes) => bytes.fill(0xff),
    });
    expect(generator.next()).toBe('00000000-0000-77ff-bfff-ffffffffffff');
  });

  it('stamps a time handed to next without reading its clock, and keeps the ids ordered', () => {
    let reads = 0;
    const generator = new UuidV7Generator({ clock: { now: () => ++reads } });
    const first = generator.next(1_700_000_000_000);
    const earlier = generator.next(1_699_999_999_000);
    expect(reads).toBe(0);
    expect(timeOf(first)).toBe(1_700_000_000_000);
    expect(earlier > first).toBe(true);
  });

  it('stays unique, increasing and version 7 across many batches of random parts', () => {
    let fills = 0;
    let reads = 0;
    const random = seededBytes(21);
    const generator = new UuidV7Generator({
      // A new millisecond every 700 ids: batch ends and millisecond starts fall apart.
      clock: { now: () => 1_700_000_000_000 + Math.floor(reads++ / 700) },
      randomFill: (bytes) => {
        fills++;
        random(bytes);
      },
    });
    const ids = Array.from({ length: 5_000 }, () => generator.next());
    expect(fills).toBe(5); // 1,024 ids per batch
    expect(ids.every((id) => V7.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, index) => index === 0 || id > ids[index - 1]!)).toBe(true);
  });

  it('takes each id its own random part from the batch, and a new batch once 1,024 are used', () => {
    let batch = 0;
    const generator = new UuidV7Generator({
      clock: new ManualClock(0),
      randomFill: (bytes) => {
        batch++;
        // Random part of id k in a batch: bytes 10k…10k+7; its counter seed: 10k+8, 10k+9.
        for (let index = 0; index < bytes.length; index++) bytes[index] = index % 10 < 8 ? batch : 0;
      },
    });
    const ids = Array.from({ length: 1_025 }, () => generator.next());
    expect(ids[0]!.slice(19)).toBe('8101-010101010101');
    expect(ids[1_023]!.slice(19)).toBe('8101-010101010101');
    expect(ids[1_024]!.slice(19)).toBe('8202-020202020202');
  });

  it('keeps the random parts of two generators apart when they draw batches in turn', () => {
    const zeros = new UuidV7Generator({ clock: new ManualClock(0), randomFill: (bytes) => bytes.fill(0) });
    const ones = new UuidV7Generator({ clock: new ManualClock(0), randomFill: (bytes) => bytes.fill(0xff) });
    const pairs = Array.from({ length: 3_000 }, () => [zeros.next(), ones.next()] as const);
    expect(pairs.every(([zero]) => zero.endsWith('-8000-000000000000'))).toBe(true);
    expect(pairs.every(([, one]) => one.endsWith('-bfff-ffffffffffff'))).toBe(true);
  });
});

/** A seeded byte source (xorshift32): the same ids' random parts on every run. */
function seededBytes(seed: number): (bytes: Uint8Array) => void {
  let state = seed;
  return (bytes) => {
    for (let index = 0; index < bytes.length; index++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bytes[index] = state & 0xff;
    }
  };
}
