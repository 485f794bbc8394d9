import { isValidationError } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HASH_RING_LIMITS, HashRing } from './hashRing.js';
import { murmur3 } from './murmur3.js';

const KEYS = Array.from({ length: 5_000 }, (_, index) => `key-${index}`);
const nodeIds = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 12 });

/**
 * Tolerances, measured at the default 160 virtual nodes: a node's share of the hash space
 * deviates from 1/N by 8% (one standard deviation, ~1/√160) and by at most ~25% over many
 * random rings; the bounds below leave room for 4+ standard deviations.
 */
const SHARE_TOLERANCE = 0.35;
const MOVE_TOLERANCE = 1.4;

describe('HashRing', () => {
  it('returns undefined for a key when the ring is empty', () => {
    expect(new HashRing().get('k')).toBeUndefined();
  });

  it('maps a key to the same node on two rings built from the same nodes in any order', () => {
    const a = new HashRing(['a', 'b', 'c']);
    const b = new HashRing(['c', 'a', 'b']);
    expect(KEYS.slice(0, 200).map((key) => a.get(key))).toEqual(KEYS.slice(0, 200).map((key) => b.get(key)));
  });

  it('moves at most 1.4/(N+1) of keys when one node joins N, and only to the new node', () => {
    fc.assert(
      fc.property(nodeIds, (ids) => {
        const ring = new HashRing(ids.map((id) => `n:${id}`));
        const before = KEYS.map((key) => ring.get(key));
        ring.add('joiner');
        let moved = 0;
        KEYS.forEach((key, index) => {
          const owner = ring.get(key);
          if (owner === before[index]) return;
          moved++;
          expect(owner).toBe('joiner');
        });
        expect(moved / KEYS.length).toBeLessThanOrEqual(MOVE_TOLERANCE / (ids.length + 1));
      }),
      { seed: 7, numRuns: 25 },
    );
  });

  it('moves only the removed node’s keys when a node leaves', () => {
    fc.assert(
      fc.property(nodeIds, fc.nat(), (ids, pick) => {
        const ring = new HashRing(ids.map((id) => `n:${id}`));
        const leaving = `n:${ids[pick % ids.length]!}`;
        const before = KEYS.map((key) => ring.get(key));
        ring.remove(leaving);
        KEYS.forEach((key, index) => {
          if (before[index] !== leaving) expect(ring.get(key)).toBe(before[index]);
          else expect(ring.get(key)).not.toBe(leaving);
        });
      }),
      { seed: 11, numRuns: 25 },
    );
  });

  it('gives every node a share within ±35% of 1/N at the default virtual-node count', () => {
    fc.assert(
      fc.property(nodeIds, (ids) => {
        const shares = new HashRing(ids.map((id) => `n:${id}`)).ownership();
        for (const share of shares.values()) {
          expect(Math.abs(share * ids.length - 1)).toBeLessThanOrEqual(SHARE_TOLERANCE);
        }
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('gives a node of weight 3 about three times the share of a node of weight 1', () => {
    const shares = new HashRing([{ id: 'big', weight: 3 }, 'a', 'b', 'c']).ownership();
    expect(shares.get('big')!).toBeGreaterThan(0.4);
    expect(shares.get('big')!).toBeLessThan(0.6);
  });

  it('has ownership shares that sum to 1', () => {
    const shares = [...new HashRing(['a', 'b', 'c', 'd']).ownership().values()];
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 9);
  });

  it('returns distinct nodes in ring order from getN, starting with the owner', () => {
    const ring = new HashRing(['a', 'b', 'c', 'd']);
    for (const key of KEYS.slice(0, 100)) {
      const list = ring.getN(key, 3);
      expect(new Set(list).size).toBe(3);
      expect(list[0]).toBe(ring.get(key));
    }
  });

  it('finds the owner of any hash as the first point at or after it, wrapping around', () => {
    const ring = new HashRing(['a', 'b', 'c'], { virtualNodes: 7 });
    const positions = [...ring.positions()];
    const owners = positions.map((position) => ring.ownerOfHash(position));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (hash) => {
        const index = positions.findIndex((position) => position >= hash);
        expect(ring.ownerOfHash(hash)).toBe(owners[index === -1 ? 0 : index]);
      }),
      { seed: 23, numRuns: 2_000 },
    );
    expect(ring.ownerOfHash(positions.at(-1)! + 1)).toBe(owners[0]);
  });

  it('walks the distinct nodes clockwise, agreeing with getN, and stops when told', () => {
    const ring = new HashRing(['a', 'b', 'c', 'd', 'e']);
    expect([...ring.walk('user-9')]).toEqual(ring.getN('user-9', 5));
    const first = ring.walk('user-9').next();
    expect(first.value).toBe(ring.get('user-9'));
  });

  it('returns every node when more replicas are asked for than nodes exist', () => {
    expect(new HashRing(['a', 'b']).getN('k', 5).sort()).toEqual(['a', 'b']);
  });

  it('updates a node’s weight when it is added again', () => {
    const ring = new HashRing(['a', 'b']);
    ring.add({ id: 'a', weight: 2 });
    expect(ring.weightOf('a')).toBe(2);
    expect(ring.pointCount).toBe(480);
  });

  it('rejects zero virtual nodes and a non-positive weight with validation errors', () => {
    expect(() => new HashRing([], { virtualNodes: 0 })).toThrow(/virtualNodes/);
    try {
      new HashRing([{ id: 'a', weight: 0 }]);
      expect.unreachable();
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
    }
  });

  it('refuses NaN, infinite, zero and negative weights and empty ids, listing each', () => {
    expect.assertions(2);
    try {
      new HashRing([
        { id: 'a', weight: Number.NaN },
        { id: 'b', weight: Infinity },
        { id: '' },
        { id: 'c', weight: -2 },
      ]);
    } catch (error) {
      expect(isValidationError(error)).toBe(true);
      expect(
        (error as { issues: { path: unknown[] }[] }).issues.map((issue) => issue.path.join('.')),
      ).toEqual(['nodes.0.weight', 'nodes.1.weight', 'nodes.2.id', 'nodes.3.weight']);
    }
  });

  it('refuses weights that would build more than maxPoints points, at once and without allocating them', () => {
    expect(HASH_RING_LIMITS.maxPoints).toBe(10_000_000);
    expect(() => new HashRing([{ id: 'huge', weight: 1e6 }])).toThrow(/160000000 points/);
    expect(() => new HashRing([{ id: 'a', weight: 1e300 }])).toThrow(/points/);
    expect(() => new HashRing(['a', 'b'], { virtualNodes: 100_000 }).add({ id: 'c', weight: 99 })).toThrow(
      /at most 10000000/,
    );
  });

  it('leaves the ring unchanged when an add is refused', () => {
    const ring = new HashRing(['a', 'b']);
    const before = ring.positions();
    expect(() => ring.add('c', { id: 'd', weight: 0 })).toThrow(/weight/);
    expect(ring.nodes()).toEqual(['a', 'b']);
    expect(ring.positions()).toEqual(before);
  });

  it('routes every key to the owner of its hash when the hash returns signed 32-bit values', () => {
    const ring = new HashRing(['a', 'b', 'c', 'd'], { hash: (key) => murmur3(key) | 0 });
    for (const key of KEYS) expect(ring.get(key)).toBe(ring.ownerOfHash(ring.hashOf(key)));
  });

  it('places keys and points of a signed or wider hash where their unsigned 32-bit value does', () => {
    const unsigned = new HashRing(['a', 'b', 'c', 'd']);
    const signed = new HashRing(['a', 'b', 'c', 'd'], { hash: (key) => murmur3(key) | 0 });
    const wider = new HashRing(['a', 'b', 'c', 'd'], { hash: (key) => murmur3(key) + 2 ** 32 });
    for (const ring of [signed, wider]) {
      expect(ring.positions()).toEqual(unsigned.positions());
      for (const key of KEYS.slice(0, 1_000)) {
        expect(ring.get(key)).toBe(unsigned.get(key));
        expect([...ring.walk(key)]).toEqual([...unsigned.walk(key)]);
      }
    }
  });

  it('breaks ties between colliding points by node id, whatever the insertion order', () => {
    const constantHash = (key: string): number => (key.endsWith('#0') ? 7 : 9);
    const ring = new HashRing(['b', 'a', 'c'], { virtualNodes: 1, hash: constantHash });
    // Every point collides at position 7; the owner of a key below it is the smallest id.
    expect(ring.ownerOfHash(0)).toBe('a');
    expect(ring.getN('x', 3)).toEqual(['a', 'b', 'c']);
  });
});
