import { fmix32, murmur3 } from './murmur3.js';
import type { RingNode } from './hashRing.js';

function score(keyHash: number, node: string | RingNode): number {
  const id = typeof node === 'string' ? node : node.id;
  const weight = typeof node === 'string' ? 1 : (node.weight ?? 1);
  // A uniform value in (0, 1) per (key, node) pair; -w / ln(u) is weighted rendezvous hashing.
  const unit = (fmix32(keyHash ^ murmur3(id, 0x5bd1e995)) + 0.5) / 4294967296;
  return -weight / Math.log(unit);
}

/**
 * Rendezvous (highest random weight) hashing: every node scores the key and the highest score
 * wins. Needs no ring and no state; removing a node moves only its keys and adding one takes
 * about weight/total of the keys. Lookup costs O(nodes), so it suits tens of nodes.
 *
 * @param key The key to place.
 * @param nodes Node ids or `{ id, weight }` (weight defaults to 1).
 * @returns The chosen node's id, or `undefined` when `nodes` is empty.
 * @example
 * ```ts
 * rendezvousHash('user-42', ['a', 'b', 'c']); // 'b', say
 * ```
 */
export function rendezvousHash(key: string, nodes: readonly (string | RingNode)[]): string | undefined {
  const keyHash = murmur3(key);
  let best: string | undefined;
  let bestScore = -Infinity;
  for (const node of nodes) {
    const value = score(keyHash, node);
    if (value > bestScore) {
      bestScore = value;
      best = typeof node === 'string' ? node : node.id;
    }
  }
  return best;
}

/**
 * The `count` best nodes for `key` by rendezvous score, best first: a preference list whose
 * order only changes for keys that involved a node that was added or removed.
 *
 * @example
 * ```ts
 * rendezvousRank('user-42', ['a', 'b', 'c'], 2); // ['b', 'c'], say
 * ```
 */
export function rendezvousRank(key: string, nodes: readonly (string | RingNode)[], count: number): string[] {
  const keyHash = murmur3(key);
  return nodes
    .map((node) => ({ id: typeof node === 'string' ? node : node.id, value: score(keyHash, node) }))
    .sort((a, b) => b.value - a.value)
    .slice(0, Math.max(0, count))
    .map((entry) => entry.id);
}
