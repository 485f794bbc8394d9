import { describe, expect, it } from 'vitest';
import { FrequencySketch } from './frequencySketch.js';
import { hashKey } from './hashKey.js';

describe('FrequencySketch', () => {
  it('estimates how often a key was seen, saturating at 15', () => {
    const sketch = new FrequencySketch(1_000, false);
    const hash = hashKey('popular');
    for (let count = 0; count < 5; count++) sketch.increment(hash);
    expect(sketch.frequency(hash)).toBe(5);
    for (let count = 0; count < 50; count++) sketch.increment(hash);
    expect(sketch.frequency(hash)).toBe(15);
  });

  it('never underestimates a frequency (count-min property)', () => {
    const sketch = new FrequencySketch(64, false);
    const counts = new Map<number, number>();
    for (let at = 0; at < 300; at++) {
      const key = (at * 7919) % 97;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      sketch.increment(hashKey(key));
    }
    for (const [key, count] of counts)
      expect(sketch.frequency(hashKey(key))).toBeGreaterThanOrEqual(Math.min(count, 15));
  });

  it('halves every counter after sampleSize additions so old popularity fades', () => {
    const sketch = new FrequencySketch(256, false);
    const hash = hashKey('old favourite');
    for (let count = 0; count < 12; count++) sketch.increment(hash);
    let before = sketch.frequency(hash);
    for (let key = 0; key < sketch.sampleSize; key++) {
      sketch.increment(hashKey(key));
      if (sketch.frequency(hash) < before) break;
      before = sketch.frequency(hash);
    }
    // The addition that triggers ageing may first bump a shared counter, hence two possible halves.
    expect([Math.floor(before / 2), Math.floor((before + 1) / 2)]).toContain(sketch.frequency(hash));
    expect(before).toBeGreaterThanOrEqual(12);
  });

  it('with a doorkeeper, counts a first sighting only in the doorkeeper', () => {
    const sketch = new FrequencySketch(1_000, true);
    const hash = hashKey('once');
    sketch.increment(hash);
    expect(sketch.frequency(hash)).toBe(1);
    sketch.increment(hash);
    expect(sketch.frequency(hash)).toBe(2);
  });
});

describe('hashKey', () => {
  it('hashes a number and its numeric string differently', () => {
    expect(hashKey(1)).not.toBe(hashKey('1'));
    expect(hashKey(1.5)).not.toBe(hashKey('1.5'));
  });

  it('is stable for equal keys and gives each object its own identity', () => {
    const object = {};
    expect(hashKey('abc')).toBe(hashKey('abc'));
    expect(hashKey(object)).toBe(hashKey(object));
    expect(hashKey(object)).not.toBe(hashKey({}));
  });

  it('spreads sequential integers over the low bits', () => {
    const buckets = new Set<number>();
    for (let key = 0; key < 1_000; key++) buckets.add(hashKey(key) & 255);
    expect(buckets.size).toBeGreaterThan(240);
  });
});
