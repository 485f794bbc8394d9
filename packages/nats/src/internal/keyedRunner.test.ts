import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedRunner } from './keyedRunner.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('KeyedRunner', () => {
  it('runs tasks of one key one after another in admission order', async () => {
    const runner = new KeyedRunner(4);
    const log: string[] = [];
    const first = gate();
    runner.admit('a', async () => {
      await first.promise;
      log.push('a1');
    });
    runner.admit('a', async () => void log.push('a2'));
    runner.admit('b', async () => void log.push('b1'));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(log).toEqual(['b1']);
    first.open();
    await runner.idle();
    expect(log).toEqual(['b1', 'a1', 'a2']);
  });

  it('admits at once but starts a task only when a slot is free', async () => {
    const runner = new KeyedRunner(1);
    const first = gate();
    const log: string[] = [];
    runner.admit('a', () => first.promise);
    runner.admit('b', async () => void log.push('b'));
    expect(runner.size).toBe(2);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(log).toEqual([]);
    first.open();
    await runner.idle();
    expect(log).toEqual(['b']);
    expect(runner.size).toBe(0);
  });

  it('resolves below(max) once fewer than max admitted tasks are unfinished', async () => {
    const runner = new KeyedRunner(4);
    const first = gate();
    runner.admit('a', () => first.promise);
    runner.admit('b', async () => {});
    await runner.below(2);
    expect(runner.size).toBe(1);
    let below = false;
    const waiting = runner.below(1).then(() => (below = true));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(below).toBe(false);
    first.open();
    await waiting;
    expect(runner.size).toBe(0);
  });

  it('keeps a failing task from blocking the later tasks of its key', async () => {
    const runner = new KeyedRunner(2);
    const log: number[] = [];
    runner.admit('a', async () => {
      throw new Error('boom');
    });
    runner.admit('a', async () => void log.push(2));
    await runner.idle();
    expect(log).toEqual([2]);
  });

  it('never runs more than the limit at once and keeps per-key order for any schedule', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(3)), { maxLength: 30 }),
        async (limit, tasks) => {
          const runner = new KeyedRunner(limit);
          let running = 0;
          let peak = 0;
          const seen = new Map<string, number[]>();
          for (const [index, [key, ticks]] of tasks.entries()) {
            runner.admit(key, async () => {
              running++;
              peak = Math.max(peak, running);
              for (let i = 0; i < ticks; i++) await Promise.resolve();
              seen.set(key, [...(seen.get(key) ?? []), index]);
              running--;
            });
          }
          await runner.idle();
          expect(peak).toBeLessThanOrEqual(limit);
          for (const order of seen.values()) expect(order).toEqual([...order].sort((x, y) => x - y));
          expect([...seen.values()].flat()).toHaveLength(tasks.length);
        },
      ),
      { seed: 5 },
    );
  });
});
