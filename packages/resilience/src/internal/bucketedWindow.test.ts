import { ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketedWindow } from './bucketedWindow.js';

describe('BucketedWindow', () => {
  it('sums each counter over the window', () => {
    const clock = new ManualClock();
    const window = new BucketedWindow(clock, 1_000, 10, 2);
    window.add(0, 3);
    window.add(1);
    clock.advance(500);
    window.add(0);
    expect([window.sum(0), window.sum(1)]).toEqual([4, 1]);
  });

  it('drops a bucket once it is a full window old', () => {
    const clock = new ManualClock();
    const window = new BucketedWindow(clock, 1_000, 10, 1);
    window.add(0);
    clock.advance(900);
    window.add(0);
    clock.advance(100);
    expect(window.sum(0)).toBe(1);
  });

  it('reset forgets every count', () => {
    const clock = new ManualClock();
    const window = new BucketedWindow(clock, 1_000, 4, 1);
    window.add(0, 5);
    window.reset();
    expect(window.sum(0)).toBe(0);
  });

  it('property: the sum equals the additions of the last window, at bucket granularity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 5 }))),
        (steps) => {
          const clock = new ManualClock();
          const window = new BucketedWindow(clock, 1_000, 10, 1);
          const log: [number, number][] = [];
          for (const [gap, amount] of steps) {
            clock.advance(gap);
            window.add(0, amount);
            log.push([Math.floor(clock.now() / 100), amount]);
          }
          const current = Math.floor(clock.now() / 100);
          const expected = log
            .filter(([bucket]) => bucket > current - 10)
            .reduce((sum, [, amount]) => sum + amount, 0);
          return window.sum(0) === expected;
        },
      ),
    );
  });
});
