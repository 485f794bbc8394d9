import { KeelError, ManualClock } from '@keel/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineSaga } from '../definition/defineSaga.js';
import { InMemorySagaStore } from '../store/inMemorySagaStore.js';
import type { SagaRecord } from '../store/sagaStore.js';
import { MAX_MS } from '../internal/storableText.js';
import { recoverBackoff } from './recoverBackoff.js';
import { SagaOrchestrator } from './sagaOrchestrator.js';

/** A store that refuses every save while `down`, so each resume of a saga fails by itself. */
class DownStore extends InMemorySagaStore {
  down = true;
  override async save(record: SagaRecord, expectedVersion: number): Promise<SagaRecord> {
    if (this.down) throw new KeelError('STORE_DOWN', 'The store is down.');
    return super.save(record, expectedVersion);
  }
}

describe('recoverBackoff', () => {
  it('stays a finite number within [recoverBackoffMs, recoverBackoffMaxMs] for any failure count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: MAX_MS, noNaN: true }),
        fc.double({ min: 0, max: MAX_MS, noNaN: true }),
        (failures, a, b) => {
          const [base, max] = a <= b ? [a, b] : [b, a];
          const hold = recoverBackoff(failures, base, max);
          expect(Number.isFinite(hold)).toBe(true);
          expect(hold).toBeGreaterThanOrEqual(base);
          expect(hold).toBeLessThanOrEqual(max);
        },
      ),
    );
  });

  it('holds a recoverBackoffMs of 0 for 0 ms after any number of failures', () => {
    expect(recoverBackoff(1025, 0, 0)).toBe(0);
    expect(recoverBackoff(1025, 0, 60_000)).toBe(0);
    expect(recoverBackoff(5_000, 1_000, 60_000)).toBe(60_000);
  });
});

describe('SagaOrchestrator: holding back a saga that keeps failing to resume', () => {
  it('still resumes a saga after more than 1024 consecutive failures with recoverBackoffMs 0', async () => {
    const clock = new ManualClock(1_000_000);
    const store = new DownStore();
    const saga = defineSaga('s').step('a', { run: () => 'a' });
    const options = { clock, recoverBackoffMs: 0, recoverBackoffMaxMs: 0 };
    const orchestrator = new SagaOrchestrator(store, [saga], options);
    await orchestrator.enqueue('s', undefined, { sagaId: 'x' });
    for (let pass = 1; pass <= 1_100; pass++) {
      const report = await orchestrator.recover();
      if (report.interrupted.length !== 1) throw new Error(`pass ${pass} did not claim the saga`);
    }
    expect(Number.isFinite((await store.get('x'))?.lease?.until)).toBe(true);
    store.down = false;
    const report = await new SagaOrchestrator(store, [saga], { clock }).recover();
    expect(report.outcomes).toMatchObject([{ sagaId: 'x', status: 'completed' }]);
    await orchestrator.close();
  });
});
