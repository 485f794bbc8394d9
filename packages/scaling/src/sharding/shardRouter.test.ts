import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3 } from '../hashing/murmur3.js';
import { isNoNodeAvailableError } from './shardingErrors.js';
import { ShardRouter } from './shardRouter.js';

const KEYS = Array.from({ length: 4_000 }, (_, index) => `order-${index}`);

describe('ShardRouter', () => {
  it('throws a NoNodeAvailableError when routing with no nodes', () => {
    expect.assertions(1);
    try {
      new ShardRouter().route('k');
    } catch (error) {
      expect(isNoNodeAvailableError(error)).toBe(true);
    }
  });

  it('returns replicationFactor distinct nodes with the primary first', () => {
    const router = new ShardRouter(['a', 'b', 'c', 'd'], { replicationFactor: 3 });
    for (const key of KEYS.slice(0, 200)) {
      const list = router.preferenceList(key);
      expect(new Set(list).size).toBe(3);
      expect(list[0]).toBe(router.route(key));
    }
  });

  it('caps the preference list at the number of nodes', () => {
    expect(new ShardRouter(['a', 'b'], { replicationFactor: 3 }).preferenceList('k')).toHaveLength(2);
  });

  it('plans a move of about 1/(N+1) of the key space when a node is added, all to the new node', () => {
    const router = new ShardRouter(['a', 'b', 'c', 'd']);
    const plan = router.planRebalance({ add: ['e'] }, KEYS);
    expect(plan.added).toEqual(['e']);
    expect(plan.movedFraction).toBeGreaterThan(0.2 * 0.65);
    expect(plan.movedFraction).toBeLessThan(0.2 * 1.35);
    expect(plan.ownershipDelta.get('e')).toBeCloseTo(plan.movedFraction, 9);
    for (const move of plan.moves) expect(move.to[0]).toBe('e');
  });

  it('agrees with the keys it was given on the share that moves', () => {
    const router = new ShardRouter(['a', 'b', 'c']);
    const plan = router.planRebalance({ add: ['d'] }, KEYS);
    const movedKeys = plan.moves.filter((move) => move.primaryChanged).length / plan.keysExamined;
    expect(Math.abs(movedKeys - plan.movedFraction)).toBeLessThan(0.03);
  });

  it('plans exactly the keys whose primary changes once the change is applied', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.boolean(), (count, adding) => {
        const ids = Array.from({ length: count }, (_, index) => `node-${index}`);
        const router = new ShardRouter(ids, { replicationFactor: 2 });
        const change = adding ? { add: ['fresh'] } : { remove: ['node-0'] };
        const plan = router.planRebalance(change, KEYS.slice(0, 1_000));
        const before = new Map(KEYS.slice(0, 1_000).map((key) => [key, router.preferenceList(key)]));
        router.apply(change);
        const changed = KEYS.slice(0, 1_000).filter(
          (key) => JSON.stringify(router.preferenceList(key)) !== JSON.stringify(before.get(key)),
        );
        expect(plan.moves.map((move) => move.key)).toEqual(changed);
      }),
      { seed: 21, numRuns: 20 },
    );
  });

  it('lists copies to make and copies to drop for a removed replica holder', () => {
    const router = new ShardRouter(['a', 'b', 'c', 'd'], { replicationFactor: 2 });
    const plan = router.planRebalance({ remove: ['b'] }, KEYS.slice(0, 500));
    expect(plan.removed).toEqual(['b']);
    for (const move of plan.moves) {
      expect(move.dropFrom).toEqual(['b']);
      expect(move.copyTo).toHaveLength(1);
      expect(move.to).not.toContain('b');
    }
  });

  it('does not change the router when only planning', () => {
    const router = new ShardRouter(['a', 'b']);
    router.planRebalance({ add: ['c'], remove: ['a'] });
    expect(router.nodes()).toEqual(['a', 'b']);
  });

  it('routes keys as ownership() shares them out when the hash returns signed values', () => {
    const unsigned = new ShardRouter(['a', 'b', 'c']);
    const signed = new ShardRouter(['a', 'b', 'c'], { hash: (key) => murmur3(key) | 0 });
    // Same points, so the same ownership: every key must then go where the unsigned router sends it.
    expect(signed.ownership()).toEqual(unsigned.ownership());
    for (const key of KEYS) expect(signed.route(key)).toBe(unsigned.route(key));
  });

  it('rejects a replication factor of zero', () => {
    expect(() => new ShardRouter(['a'], { replicationFactor: 0 })).toThrow(/replicationFactor/);
  });
});
