// Caching in @keel/scaling side by side with lru-cache 11: get/set/mixed throughput, and hit
// ratios of LRU vs W-TinyLFU on seeded Zipf, scan-mixed and loop traces.
import { seededRandom } from '@keel/core';
import { LruCache, WTinyLfuCache } from '@keel/scaling';
import { LRUCache } from 'lru-cache';
import { compare, record } from '../harness.js';

const quick = process.env.BENCH_QUICK === '1';
/** Operations per measured call, so the harness's per-call overhead does not dominate. */
const BATCH = 1_000;
const MAX = 10_000;

interface SyncCache {
  get(key: string | number): unknown;
  set(key: string | number, value: number): unknown;
}

/** Keys drawn from a Zipf distribution over `keys` items (rank 0 most popular), shuffled ids. */
function zipfTrace(keys: number, exponent: number, length: number, seed: number): number[] {
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let rank = 0; rank < keys; rank++) cumulative[rank] = total += 1 / (rank + 1) ** exponent;
  const random = seededRandom(seed);
  const ids = Array.from({ length: keys }, (_, id) => id);
  for (let at = keys - 1; at > 0; at--) {
    const other = Math.floor(random() * (at + 1));
    [ids[at], ids[other]] = [ids[other]!, ids[at]!];
  }
  const trace = new Array<number>(length);
  for (let at = 0; at < length; at++) {
    const target = random() * total;
    let low = 0;
    let high = keys - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    trace[at] = ids[low]!;
  }
  return trace;
}

/** A Zipf trace interrupted every `every` accesses by a scan of `scanLength` never-repeated keys. */
function scanMixedTrace(base: readonly number[], every: number, scanLength: number): number[] {
  const trace: number[] = [];
  let fresh = 1e9;
  base.forEach((key, at) => {
    trace.push(key);
    if (at % every === every - 1) for (let step = 0; step < scanLength; step++) trace.push(fresh++);
  });
  return trace;
}

/** Every key read twice, the second time `gap` new keys later: only recency helps (W-TinyLFU's weak spot). */
function reuseOnceTrace(gap: number, keys: number): number[] {
  const trace: number[] = [];
  for (let key = 0; key < keys; key++) {
    trace.push(key);
    if (key >= gap) trace.push(key - gap);
  }
  return trace;
}

/** Every key read twice, the second time after an exponentially distributed number of new keys. */
function reuseRandomTrace(meanGap: number, keys: number, seed: number): number[] {
  const random = seededRandom(seed);
  const due = new Map<number, number[]>();
  const trace: number[] = [];
  for (let key = 0; key < keys; key++) {
    trace.push(key);
    const at = key + Math.ceil(-meanGap * Math.log(1 - random()));
    const bucket = due.get(at);
    if (bucket === undefined) due.set(at, [key]);
    else bucket.push(key);
    for (const again of due.get(key) ?? []) trace.push(again);
    due.delete(key);
  }
  return trace;
}

/** A loop over `keys` distinct keys, repeated: the textbook trace where LRU gets nothing. */
function loopTrace(keys: number, length: number): number[] {
  return Array.from({ length }, (_, at) => at % keys);
}

function hitRatio(cache: SyncCache, trace: readonly number[]): number {
  let hits = 0;
  for (const key of trace) {
    if (cache.get(key) === undefined) cache.set(key, key);
    else hits++;
  }
  return hits / trace.length;
}

const CONTENDERS = ['lru-cache 11 LRUCache', 'keel LruCache', 'keel WTinyLfuCache'] as const;

function makeCache(name: (typeof CONTENDERS)[number]): SyncCache {
  if (name === 'lru-cache 11 LRUCache') return new LRUCache<string | number, number>({ max: MAX });
  if (name === 'keel LruCache') return new LruCache<string | number, number>({ max: MAX });
  return new WTinyLfuCache<string | number, number>({ max: MAX });
}

/**
 * Compiles `body` afresh for each contender, so each library gets its own call sites and type
 * feedback, as in an application that uses one cache class: a shared closure would turn the
 * `cache.get` site polymorphic and tax whichever contender runs after the first.
 */
function isolatedLoop(body: string, cache: SyncCache, data: readonly string[]): () => void {
  const factory = new Function('cache', 'data', 'BATCH', `let at = 0; return () => { ${body} };`) as (
    cache: SyncCache,
    data: readonly string[],
    batch: number,
  ) => () => void;
  return factory(cache, data, BATCH);
}

function contenders(prepare: (cache: SyncCache) => SyncCache, body: string, data: readonly string[]) {
  return CONTENDERS.map((name) => ({ name, fn: isolatedLoop(body, prepare(makeCache(name)), data) }));
}

async function throughput(): Promise<void> {
  const keys = Array.from({ length: MAX * 2 }, (_, at) => `key:${at}`);
  const warm = (cache: SyncCache): SyncCache => {
    for (let at = 0; at < MAX; at++) cache.set(keys[at]!, at);
    return cache;
  };
  await compare(
    `Cache get, all hits (${BATCH} gets per op, ${MAX} entries, string keys)`,
    contenders(
      warm,
      `for (let step = 0; step < BATCH; step++) cache.get(data[(at = (at + 7) % ${MAX})]);`,
      keys,
    ),
  );
  await compare(
    `Cache set with eviction (${BATCH} sets per op, ${MAX * 2} keys into ${MAX})`,
    contenders(
      warm,
      'for (let step = 0; step < BATCH; step++) cache.set(data[(at = (at + 1) % data.length)], step);',
      keys,
    ),
  );
  const trace = zipfTrace(MAX * 10, 0.9, 200_000, 5).map((id) => `key:${id}`);
  await compare(
    `Cache mixed: get, set on miss (${BATCH} per op, Zipf 0.9 over ${MAX * 10} keys)`,
    contenders(
      (cache) => cache,
      `for (let step = 0; step < BATCH; step++) {
        const key = data[(at = (at + 1) % data.length)];
        if (cache.get(key) === undefined) cache.set(key, step);
      }`,
      trace,
    ),
  );
}

function hitRatios(): void {
  const length = quick ? 200_000 : 1_000_000;
  const keys = 100_000;
  const zipf09 = zipfTrace(keys, 0.9, length, 1);
  const traces: [string, readonly number[]][] = [
    ['Zipf s=0.9', zipf09],
    ['Zipf s=1.0', zipfTrace(keys, 1.0, length, 2)],
    ['Zipf 0.9 + scans (5,000 new keys every 50,000)', scanMixedTrace(zipf09, 50_000, 5_000)],
    ['Zipf 0.9 + scans (20,000 new keys every 20,000)', scanMixedTrace(zipf09, 20_000, 20_000)],
  ];
  const rows: string[][] = [];
  for (const max of [1_000, 10_000]) {
    for (const [name, trace] of traces) rows.push(hitRatioRow(name, max, trace));
    rows.push(hitRatioRow(`loop over ${max * 1.5} keys`, max, loopTrace(max * 1.5, length)));
    rows.push(
      hitRatioRow(`reuse once, ${max / 10} new keys later`, max, reuseOnceTrace(max / 10, length / 2)),
    );
    rows.push(
      hitRatioRow(
        `reuse once, ~${max / 10} (exponential) later`,
        max,
        reuseRandomTrace(max / 10, length / 2, 3),
      ),
    );
  }
  record(
    `Hit ratio, % (${quick ? '200k' : '1M'} accesses, ${keys.toLocaleString('en')} distinct keys, get then set on miss)`,
    [
      'trace',
      'max',
      'lru-cache 11',
      'keel LruCache',
      'keel W-TinyLFU',
      'W-TinyLFU, fixed 1% window',
      'W-TinyLFU − LRU',
    ],
    rows,
  );
}

function hitRatioRow(name: string, max: number, trace: readonly number[]): string[] {
  const lruCache = hitRatio(new LRUCache<number, number>({ max }), trace);
  const lru = hitRatio(new LruCache<number, number>({ max }), trace);
  // A seeded tie-break source keeps the W-TinyLFU rows identical from run to run.
  const tinyLfu = hitRatio(new WTinyLfuCache<number, number>({ max, random: seededRandom(42) }), trace);
  const fixed = hitRatio(
    new WTinyLfuCache<number, number>({ max, adaptive: false, random: seededRandom(42) }),
    trace,
  );
  const percent = (ratio: number): string => (ratio * 100).toFixed(2);
  const delta = (tinyLfu - lru) * 100;
  return [
    name,
    max.toLocaleString('en'),
    percent(lruCache),
    percent(lru),
    percent(tinyLfu),
    percent(fixed),
    `${delta >= 0 ? '+' : ''}${delta.toFixed(2)} pts`,
  ];
}

export async function run(): Promise<void> {
  await throughput();
  hitRatios();
}
