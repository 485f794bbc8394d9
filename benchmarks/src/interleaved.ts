// Interleaved measurement: every contender runs once per round, in a rotating order, and the
// median of the rounds is kept. On a loaded machine this gives steadier ratios than running each
// contender for a long stretch on its own (load changes between stretches, not within a round).
import { executionAsyncId } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { record } from './harness.js';

/** One contender: `fn` performs `ops` operations per call. */
export interface InterleavedContender {
  readonly name: string;
  readonly fn: () => unknown;
}

/** Options of {@link interleaved}. */
export interface InterleavedOptions {
  /** Operations one call of a contender's `fn` performs. */
  readonly ops: number;
  /** Rounds measured. @default 15, or 5 with BENCH_QUICK=1 */
  readonly rounds?: number;
  /** Rounds run first and thrown away. @default 5 */
  readonly warmupRounds?: number;
}

/** A measured contender: median nanoseconds per operation over the rounds. */
export interface InterleavedRow {
  readonly name: string;
  readonly nsPerOp: number;
}

/**
 * Whether async_hooks promise hooks are on in this process. With them on (an `AsyncLocalStorage`
 * was entered on Node 20, an async hook with an `init` callback was enabled …), every promise
 * gets an async id and a reaction runs under it; with them off, a promise reaction runs with
 * execution async id 0. So the reaction's `executionAsyncId()` tells the state, deterministically.
 */
export async function promiseHooksEnabled(): Promise<boolean> {
  return (await Promise.resolve().then(() => executionAsyncId())) !== 0;
}

/** The cost of one plain `await` of a resolved promise in this process, in ns (median of 9). */
export async function awaitCost(): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round < 9; round++) {
    const started = performance.now();
    for (let index = 0; index < 100_000; index++) await undefined;
    samples.push(((performance.now() - started) * 1e6) / 100_000);
  }
  return median(samples);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Measures `contenders` interleaved, prints and records a table of ns per operation and the
 * ratio to the first contender (the baseline; a ratio above 1 means slower than it).
 */
export async function interleaved(
  title: string,
  contenders: readonly InterleavedContender[],
  options: InterleavedOptions,
): Promise<InterleavedRow[]> {
  const quick = process.env.BENCH_QUICK === '1';
  const rounds = options.rounds ?? (quick ? 5 : 15);
  const warmup = options.warmupRounds ?? 5;
  const samples = contenders.map((): number[] => []);
  for (let round = 0; round < warmup + rounds; round++) {
    for (let offset = 0; offset < contenders.length; offset++) {
      const index = (round + offset) % contenders.length;
      const started = performance.now();
      await contenders[index]!.fn();
      const ns = ((performance.now() - started) * 1e6) / options.ops;
      if (round >= warmup) samples[index]!.push(ns);
    }
  }
  const rows = contenders.map((contender, index) => ({
    name: contender.name,
    nsPerOp: median(samples[index]!),
  }));
  const baseline = rows[0]!.nsPerOp;
  record(
    title,
    ['contender', 'ns per op (median)', 'time relative to first'],
    rows.map((row) => [row.name, row.nsPerOp.toFixed(0), `${(row.nsPerOp / baseline).toFixed(2)}x`]),
  );
  return rows;
}
