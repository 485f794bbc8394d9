import { describe, expect, it } from 'vitest';
import { seededRandom } from './seededRandom.js';

describe('seededRandom', () => {
  it('replays the same sequence for the same seed', () => {
    const a = seededRandom(99);
    const b = seededRandom(99);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  it('returns numbers in [0, 1)', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 1_000; i++) {
      const value = random();
      expect(value >= 0 && value < 1).toBe(true);
    }
  });

  it('gives different sequences for different seeds', () => {
    expect(seededRandom(1)()).not.toBe(seededRandom(2)());
  });
});
