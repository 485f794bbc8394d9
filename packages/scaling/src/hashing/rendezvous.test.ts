import fc from 'fast-check';
import { isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { rendezvousHash, rendezvousRank } from './rendezvous.js';

const KEYS = Array.from({ length: 4_000 }, (_, index) => `key-${index}`);

describe('rendezvousHash', () => {
  it('returns undefined when there are no nodes', () => {
    expect(rendezvousHash('k', [])).toBeUndefined();
  });

  it('does not depend on the order of the nodes', () => {
    for (const key of KEYS.slice(0, 100)) {
      expect(rendezvousHash(key, ['a', 'b', 'c'])).toBe(rendezvousHash(key, ['c', 'b', 'a']));
    }
  });

  it('moves only the removed node’s keys when a node leaves', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 2, maxLength: 8 }), (ids) => {
        const leaving = ids[0]!;
        const rest = ids.slice(1);
        for (const key of KEYS.slice(0, 500)) {
          const before = rendezvousHash(key, ids);
          if (before !== leaving) expect(rendezvousHash(key, rest)).toBe(before);
        }
      }),
      { seed: 5, numRuns: 20 },
    );
  });

  it('spreads keys within ±10% of an even share over 4 nodes', () => {
    const counts = new Map<string, number>();
    for (const key of KEYS) {
      const node = rendezvousHash(key, ['a', 'b', 'c', 'd'])!;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(Math.abs(count / 1_000 - 1)).toBeLessThan(0.1);
  });

  it('gives a node of weight 3 about three times the keys of a node of weight 1', () => {
    let heavy = 0;
    for (const key of KEYS) if (rendezvousHash(key, [{ id: 'h', weight: 3 }, 'a']) === 'h') heavy++;
    expect(heavy / KEYS.length).toBeGreaterThan(0.7);
    expect(heavy / KEYS.length).toBeLessThan(0.8);
  });

  it('ranks nodes with the winner first and no duplicates', () => {
    const ranked = rendezvousRank('user-1', ['a', 'b', 'c', 'd'], 3);
    expect(ranked).toHaveLength(3);
    expect(new Set(ranked).size).toBe(3);
    expect(ranked[0]).toBe(rendezvousHash('user-1', ['a', 'b', 'c', 'd']));
  });
});

describe('rendezvous node checks', () => {
  const refusals = (run: () => unknown): string[] => {
    try {
      run();
    } catch (error) {
      if (isValidationError(error)) return error.issues.map((issue) => issue.path.join('.'));
      throw error;
    }
    return [];
  };

  it.each([Number.NaN, 0, -1, Infinity, -Infinity])('refuses a weight of %s', (weight) => {
    const nodes = ['a', { id: 'b', weight }];
    expect(refusals(() => rendezvousHash('k', nodes))).toEqual(['nodes.1.weight']);
    expect(refusals(() => rendezvousRank('k', nodes, 2))).toEqual(['nodes.1.weight']);
  });

  it('refuses empty or missing ids, and a count that is not an integer >= 0', () => {
    expect(refusals(() => rendezvousHash('k', ['', { id: '' }]))).toEqual(['nodes.0', 'nodes.1.id']);
    expect(refusals(() => rendezvousRank('k', ['a'], -1))).toEqual(['count']);
    expect(refusals(() => rendezvousRank('k', ['a'], Number.NaN))).toEqual(['count']);
  });

  it('accepts an explicit default weight and tiny or large finite weights', () => {
    const nodes = [{ id: 'a', weight: 1 }, { id: 'b', weight: 1e-9 }, { id: 'c', weight: 1e9 }, 'd'];
    expect(rendezvousRank('k', nodes, Infinity)).toHaveLength(4);
    expect(rendezvousHash('k', [{ id: 'a', weight: undefined }])).toBe('a');
  });
});
