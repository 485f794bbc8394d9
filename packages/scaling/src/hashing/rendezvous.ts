import { assertOptions, optionInteger, optionNumber, optionString } from '@keel/core';
import type { OptionProblem } from '@keel/core';
import { fmix32, murmur3 } from './murmur3.js';
import type { RingNode } from './hashRing.js';

/**
 * Refuses node ids that are not non-empty strings and weights that are not finite numbers above
 * 0: a NaN, zero or negative weight would make a node win never, always or at random.
 */
function checkNodes(nodes: readonly (string | RingNode)[], subject: string): void {
  // Lookups are hot: check cheaply, and build the detailed report only when something is wrong.
  if (nodes.every(isValidNode)) return;
  const checks: Record<string, OptionProblem> = {};
  nodes.forEach((node, index) => {
    if (typeof node === 'string') {
      checks[`nodes.${index}`] = optionString(node, true);
      return;
    }
    checks[`nodes.${index}.id`] = optionString(node?.id, true);
    checks[`nodes.${index}.weight`] = optionNumber(node?.weight, { min: 0, exclusiveMin: true });
  });
  assertOptions(subject, checks);
}

function isValidNode(node: string | RingNode): boolean {
  if (typeof node === 'string') return node.length > 0;
  if (node === null || typeof node !== 'object' || typeof node.id !== 'string' || node.id.length === 0)
    return false;
  const weight = node.weight;
  return weight === undefined || (Number.isFinite(weight) && weight > 0);
}

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
 * @throws {ValidationError} When an id is not a non-empty string or a weight is not a finite
 *   number above 0 (NaN, 0 and negative weights are refused).
 * @example
 * ```ts
 * rendezvousHash('user-42', ['a', 'b', 'c']); // 'b', say
 * ```
 */
export function rendezvousHash(key: string, nodes: readonly (string | RingNode)[]): string | undefined {
  checkNodes(nodes, 'rendezvousHash');
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
 * @throws {ValidationError} When a node is invalid (as for {@link rendezvousHash}) or `count`
 *   is not an integer >= 0.
 * @example
 * ```ts
 * rendezvousRank('user-42', ['a', 'b', 'c'], 2); // ['b', 'c'], say
 * ```
 */
export function rendezvousRank(key: string, nodes: readonly (string | RingNode)[], count: number): string[] {
  checkNodes(nodes, 'rendezvousRank');
  assertOptions('rendezvousRank', {
    count: optionInteger(count, { min: 0, infinity: true, required: true }),
  });
  const keyHash = murmur3(key);
  return nodes
    .map((node) => ({ id: typeof node === 'string' ? node : node.id, value: score(keyHash, node) }))
    .sort((a, b) => b.value - a.value)
    .slice(0, count)
    .map((entry) => entry.id);
}
