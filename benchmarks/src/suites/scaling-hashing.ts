// HashRing lookup throughput and key movement, side by side with the `hashring` package
// (ketama, MD5 through node:crypto, with its built-in LRU of 5,000 lookups), with jump hash as
// the reference for ideal movement.
import { createRequire } from 'node:module';
import { HashRing, jumpHash, rendezvousHash } from '@keel/scaling';
import { compare, record } from '../harness.js';

interface HashringInstance {
  get(key: string): string | undefined;
  add(server: string): HashringInstance;
}
type HashringConstructor = new (servers: string[]) => HashringInstance;
const ExternalHashRing = createRequire(import.meta.url)('hashring') as HashringConstructor;

const KEY_COUNT = 100_000;
const keys = Array.from({ length: KEY_COUNT }, (_, index) => `user:${index}:session`);
const nodeIds = (count: number) =>
  Array.from({ length: count }, (_, index) => `10.0.${index >> 8}.${index & 255}:6379`);

function cycling(pool: readonly string[]): () => string {
  let index = 0;
  return () => pool[(index = (index + 1) % pool.length)]!;
}

async function lookups(): Promise<void> {
  const nodes = nodeIds(10);
  const external = new ExternalHashRing(nodes);
  const ring = new HashRing(nodes);
  let sink = 0;
  for (const [label, pool] of [
    ['100,000 distinct keys', keys],
    ['1,000 hot keys (hashring cache hits)', keys.slice(0, 1_000)],
  ] as const) {
    const a = cycling(pool);
    const b = cycling(pool);
    const c = cycling(pool);
    const d = cycling(pool);
    await compare(`HashRing lookup, 10 nodes × 160 points, ${label}`, [
      { name: 'hashring 3 get', fn: () => (sink += external.get(a())!.length) },
      { name: 'keel HashRing.get', fn: () => (sink += ring.get(b())!.length) },
      { name: 'keel jumpHash (string key)', fn: () => (sink += jumpHash(c(), 10)) },
      { name: 'keel rendezvousHash', fn: () => (sink += rendezvousHash(d(), nodes)!.length) },
    ]);
  }
  if (sink === -1) console.log(sink);
}

/** Share of keys whose owner changed, and how many of those did not go to `joiner`. */
function moved(
  before: readonly (string | number | undefined)[],
  after: (key: string) => string | number | undefined,
  joiner: string | number,
): { share: number; elsewhere: number } {
  let count = 0;
  let elsewhere = 0;
  keys.forEach((key, index) => {
    const owner = after(key);
    if (owner === before[index]) return;
    count++;
    if (owner !== joiner) elsewhere++;
  });
  return { share: count / KEY_COUNT, elsewhere };
}

function movement(): void {
  const rows: string[][] = [];
  for (const count of [5, 10, 20, 50]) {
    const nodes = nodeIds(count);
    const joiner = 'joiner:6379';
    const external = new ExternalHashRing(nodes);
    const ring = new HashRing(nodes);
    const externalBefore = keys.map((key) => external.get(key));
    const ringBefore = keys.map((key) => ring.get(key));
    const jumpBefore = keys.map((key) => jumpHash(key, count));
    external.add(joiner);
    ring.add(joiner);
    const cell = ({ share, elsewhere }: { share: number; elsewhere: number }) =>
      `${(share * 100).toFixed(2)}% (${elsewhere} elsewhere)`;
    rows.push([
      `${count} → ${count + 1}`,
      `${((1 / (count + 1)) * 100).toFixed(2)}%`,
      cell(moved(externalBefore, (key) => external.get(key), joiner)),
      cell(moved(ringBefore, (key) => ring.get(key), joiner)),
      cell(moved(jumpBefore, (key) => jumpHash(key, count + 1), count)),
    ]);
  }
  record(
    'Keys moved when one node joins (100,000 keys; "elsewhere" = moved keys not sent to the new node)',
    ['nodes', 'ideal 1/(N+1)', 'hashring 3', 'keel HashRing', 'keel jumpHash'],
    rows,
  );
}

function maxOverAverage(count: number, pick: (key: string) => string | number | undefined): number {
  const counts = new Map<string | number | undefined, number>();
  for (const key of keys) counts.set(pick(key), (counts.get(pick(key)) ?? 0) + 1);
  return Math.max(...counts.values()) / (KEY_COUNT / count);
}

function spread(): void {
  const rows: string[][] = [];
  for (const count of [10, 50]) {
    const sets = Array.from({ length: 10 }, (_, set) => nodeIds(count).map((id) => `set${set}/${id}`));
    const mean = (make: (nodes: string[]) => (key: string) => string | number | undefined) =>
      (sets.reduce((sum, nodes) => sum + maxOverAverage(count, make(nodes)), 0) / sets.length).toFixed(3);
    rows.push([
      String(count),
      mean((nodes) => {
        const external = new ExternalHashRing(nodes);
        return (key) => external.get(key);
      }),
      mean((nodes) => {
        const ring = new HashRing(nodes);
        return (key) => ring.get(key);
      }),
      mean(() => (key) => jumpHash(key, count)),
    ]);
  }
  record(
    'Load spread: busiest node ÷ average, mean over 10 random node sets (100,000 keys)',
    ['nodes', 'hashring 3 (160 points)', 'keel HashRing (160 points)', 'keel jumpHash'],
    rows,
  );
}

/** Runs the hashing suite. */
export async function run(): Promise<void> {
  await lookups();
  movement();
  spread();
}
