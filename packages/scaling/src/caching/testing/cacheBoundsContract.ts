import assert from 'node:assert/strict';
import { seededRandom } from '@keel/core';
import type { SeededRandom } from '@keel/core';
import type { ContractRunner } from '@keel/core/testing';
import type { Cache } from '../cache.js';
import type { Disposal, Setup, Subject } from './cacheContractSetup.js';

/** How many random operations each seeded run makes. */
const STEPS = 2_000;
/** A value the random runs store: unique per `set`, so each disposal names one `set`. */
interface Stored {
  readonly key: number;
  readonly step: number;
}

/**
 * Follows a cache through random operations: `alive` holds every value set and not yet disposed,
 * which is exactly what the cache must still hold (expired entries included until found).
 */
class Tracker {
  readonly #subject: Subject;
  readonly #max: number;
  readonly alive = new Set<unknown>();
  #checked = 0;

  constructor(subject: Subject, max: number) {
    this.#subject = subject;
    this.#max = max;
  }

  /** The disposals since the last call, each checked to be of a value stored and not yet disposed. */
  newDisposals(step: number): Disposal[] {
    const fresh = this.#subject.disposed.slice(this.#checked);
    this.#checked = this.#subject.disposed.length;
    for (const { value, key, reason } of fresh) {
      const where = `at step ${step}, "${reason}" disposal of key ${String(key)}`;
      assert.ok(this.alive.delete(value), `${where}: a value disposed twice, or never stored`);
      assert.equal((value as Stored).key, key, `${where}: the key is not the one the value was stored under`);
    }
    return fresh;
  }

  /** Asserts the bound and that `size` counts exactly the values not yet disposed. */
  checkSize(step: number): void {
    const { size } = this.#subject.cache;
    assert.ok(size <= this.#max, `at step ${step}, size ${size} is above max ${this.#max}`);
    assert.equal(
      size,
      this.alive.size,
      `at step ${step}, size is not the number of values set and not disposed`,
    );
  }
}

/** One random operation on the subject's cache, then the checks every step must pass. */
function randomStep(
  random: SeededRandom,
  subject: Subject,
  tracker: Tracker,
  step: number,
  ttl: boolean,
): void {
  const { cache, clock } = subject;
  const key = random.between(0, 3 * cache.max);
  const roll = random();
  if (roll < 0.55) {
    const value: Stored = { key, step };
    tracker.alive.add(value);
    cache.set(key, value, ttl ? { ttl: random.pick([undefined, 0, 40, 150]) } : undefined);
    tracker.newDisposals(step);
    assert.equal(cache.peek(key), value, `at step ${step}, the value just set under ${key} is not found`);
  } else if (roll < 0.75) {
    const value = cache.get(key);
    if (value !== undefined)
      assert.ok(tracker.alive.has(value), `at step ${step}, get returned a disposed value`);
  } else if (roll < 0.85) {
    const removed = cache.delete(key);
    const deleted = tracker.newDisposals(step).filter(({ reason }) => reason === 'delete').length;
    assert.equal(
      deleted,
      removed ? 1 : 0,
      `at step ${step}, delete returned ${removed} but disposed ${deleted}`,
    );
  } else if (roll < 0.95) {
    assert.equal(cache.has(key), cache.peek(key) !== undefined, `at step ${step}, has and peek disagree`);
  } else if (roll < 0.995) {
    if (ttl) clock.advance(random.between(0, 60));
  } else {
    cache.clear();
  }
  tracker.newDisposals(step);
  tracker.checkSize(step);
}

/** Runs {@link STEPS} seeded random operations, then checks what is left against the values not disposed. */
function runRandomly(setup: Setup, max: number, seed: number, ttl: boolean): void {
  const subject = setup(ttl ? { max, ttl: 100 } : { max });
  const tracker = new Tracker(subject, max);
  const random = seededRandom(seed);
  for (let step = 0; step < STEPS; step++) randomStep(random, subject, tracker, step, ttl);
  subject.cache.purgeStale();
  tracker.newDisposals(STEPS);
  const listed = new Set(subject.cache.values());
  assert.deepEqual(
    listed,
    tracker.alive,
    'after purgeStale, the values listed are not the values not disposed',
  );
}

/** The same operations, with or without `peek` and `has` calls between them. */
function peekedRun(cache: Cache<unknown, unknown>, peeking: boolean): void {
  const look = (key: string) => {
    if (!peeking) return;
    cache.peek(key);
    cache.has(key);
  };
  for (const key of ['a', 'b', 'c', 'd']) cache.set(key, key);
  look('a');
  cache.get('b');
  look('c');
  for (const key of ['e', 'f', 'g', 'h', 'i']) {
    look('a');
    look('d');
    cache.set(key, key);
  }
  look('missing');
}

/** Bounds, exactly-once disposal and neutral reads under seeded random operations, for `cacheContract`. */
export function defineBoundTests({ it }: ContractRunner, setup: Setup): void {
  it('never holds more than max entries, and disposes each value it stops holding exactly once (seeded)', () => {
    for (const [max, seed] of [
      [1, 1],
      [2, 2],
      [7, 3],
      [32, 4],
    ] as const) {
      runRandomly(setup, max, seed, false);
    }
  });

  it('keeps to max and disposes exactly once with TTLs expiring among the operations (seeded)', () => {
    for (const [max, seed] of [
      [3, 5],
      [16, 6],
    ] as const) {
      runRandomly(setup, max, seed, true);
    }
  });

  it('peek and has change nothing: the same writes and reads keep the same entries, in the same order', () => {
    const plain = setup({ max: 4 });
    const peeked = setup({ max: 4 });
    peekedRun(plain.cache, false);
    peekedRun(peeked.cache, true);
    assert.deepEqual([...peeked.cache.entries()], [...plain.cache.entries()], 'the entries kept');
    assert.deepEqual(peeked.disposed, plain.disposed, 'the disposals');
    assert.deepEqual(peeked.cache.stats(), plain.cache.stats(), 'the stats');
  });
}
