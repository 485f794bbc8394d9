// Per-call overhead of @keel/resilience policies around an already-resolved promise, side by
// side with cockatiel 3 (`wrap` for the pipeline) and opossum 8 in the same process.
import {
  bulkhead as keelBulkhead,
  circuitBreaker as keelBreaker,
  consecutiveFailures,
  pipeline,
  retry as keelRetry,
  timeout as keelTimeout,
} from '@keel/resilience';
import {
  bulkhead as cBulkhead,
  circuitBreaker as cBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  retry as cRetry,
  timeout as cTimeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import { compare, record } from '../harness.js';
import type { Comparison } from '../harness.js';

const work = (): Promise<number> => Promise.resolve(1);
/** Like `work`, but reads its signal, as `fetch(url, { signal })` would. */
const readsSignal = ({ signal }: { signal: AbortSignal }): Promise<boolean> =>
  Promise.resolve(signal.aborted);

function keelPipeline() {
  return pipeline(
    keelRetry({ maxRetries: 3 }),
    keelBreaker({ strategy: consecutiveFailures(5), breakDuration: 10_000 }),
    keelBulkhead(1_000, { maxQueue: 1_000 }),
    keelTimeout(10_000),
  );
}

function cockatielPipeline() {
  return wrap(
    cRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    cBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    cBulkhead(1_000, 1_000),
    cTimeout(10_000, TimeoutStrategy.Cooperative),
  );
}

/** Nanoseconds a policy adds to each call: its time per call minus the bare call's. */
function overheadRows(comparisons: readonly Comparison[]): string[][] {
  return comparisons.flatMap((comparison) => {
    const bare = comparison.rows.find((row) => row.name === 'bare call');
    if (bare === undefined) return [];
    const bareNs = 1e9 / bare.opsPerSecond;
    return comparison.rows
      .filter((row) => row !== bare)
      .map((row) => [
        comparison.title,
        row.name,
        `${Math.max(1e9 / row.opsPerSecond - bareNs, 0).toFixed(0)} ns`,
      ]);
  });
}

/** Median ns per call of `fn` over rounds, contenders interleaved so load spikes hit all alike. */
async function interleaved(
  contenders: readonly { name: string; fn: () => Promise<unknown> }[],
): Promise<Map<string, number>> {
  const quick = process.env.BENCH_QUICK === '1';
  const rounds = quick ? 3 : 9;
  const calls = quick ? 50_000 : 200_000;
  const samples = new Map<string, number[]>(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const contender of contenders) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) await contender.fn();
      samples.get(contender.name)!.push(Number(process.hrtime.bigint() - started) / calls);
    }
  }
  const medians = new Map<string, number>();
  for (const [name, values] of samples)
    medians.set(name, values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!);
  return medians;
}

async function recordInterleaved(): Promise<void> {
  const k = {
    retry: keelRetry({ maxRetries: 3 }),
    breaker: keelBreaker({ strategy: consecutiveFailures(5), breakDuration: 10_000 }),
    timeout: keelTimeout(10_000),
    bulkhead: keelBulkhead(1_000, { maxQueue: 1_000 }),
    pipeline: keelPipeline(),
  };
  const c = {
    retry: cRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    breaker: cBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
    timeout: cTimeout(10_000, TimeoutStrategy.Cooperative),
    bulkhead: cBulkhead(1_000, 1_000),
    pipeline: cockatielPipeline(),
  };
  const opossum = new CircuitBreaker(work, { timeout: false, resetTimeout: 10_000 });
  const rows: string[][] = [];
  for (const policy of ['retry', 'breaker', 'timeout', 'bulkhead', 'pipeline'] as const) {
    const contenders = [
      { name: 'bare', fn: work },
      { name: 'cockatiel', fn: () => c[policy].execute(work) },
      { name: 'keel', fn: () => k[policy].execute(work) },
      ...(policy === 'breaker' ? [{ name: 'opossum', fn: () => opossum.fire() }] : []),
    ];
    const medians = await interleaved(contenders);
    const bare = medians.get('bare')!;
    const overhead = (name: string): number => Math.max(medians.get(name)! - bare, 0);
    const opossumCell = policy === 'breaker' ? `${overhead('opossum').toFixed(0)} ns` : '';
    const ratio =
      overhead('keel') < 5 ? 'keel below noise' : `${(overhead('cockatiel') / overhead('keel')).toFixed(2)}x`;
    rows.push([
      policy,
      `${overhead('cockatiel').toFixed(0)} ns`,
      `${overhead('keel').toFixed(0)} ns`,
      opossumCell,
      ratio,
    ]);
  }
  opossum.shutdown();
  record(
    'resilience: median overhead per call, contenders interleaved (ns above a bare resolved promise)',
    ['policy', 'cockatiel', 'keel', 'opossum (timeout: false)', 'cockatiel overhead ÷ keel overhead'],
    rows,
  );
}

export async function run(): Promise<void> {
  const results: Comparison[] = [];
  const bare = { name: 'bare call', fn: work };

  const kRetry = keelRetry({ maxRetries: 3 });
  const cockRetry = cRetry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
  results.push(
    await compare('retry (no failures)', [
      { name: 'cockatiel retry', fn: () => cockRetry.execute(work) },
      { name: 'keel retry', fn: () => kRetry.execute(work) },
      bare,
    ]),
  );

  const kBreaker = keelBreaker({ strategy: consecutiveFailures(5), breakDuration: 10_000 });
  const cockBreaker = cBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  const opossumPlain = new CircuitBreaker(work, { timeout: false, resetTimeout: 10_000 });
  const opossumDefault = new CircuitBreaker(work, { resetTimeout: 10_000 });
  results.push(
    await compare('circuit breaker (closed)', [
      { name: 'cockatiel circuitBreaker', fn: () => cockBreaker.execute(work) },
      { name: 'keel circuitBreaker', fn: () => kBreaker.execute(work) },
      { name: 'opossum (timeout: false)', fn: () => opossumPlain.fire() },
      { name: 'opossum (default 10 s timeout)', fn: () => opossumDefault.fire() },
      bare,
    ]),
  );

  const kTimeout = keelTimeout(10_000);
  const cockTimeout = cTimeout(10_000, TimeoutStrategy.Cooperative);
  results.push(
    await compare('timeout (cooperative, 10 s, call resolves at once)', [
      { name: 'cockatiel timeout', fn: () => cockTimeout.execute(work) },
      { name: 'keel timeout', fn: () => kTimeout.execute(work) },
      bare,
    ]),
  );

  results.push(
    await compare('timeout (cooperative, 10 s, function reads its signal)', [
      { name: 'cockatiel timeout', fn: () => cockTimeout.execute(readsSignal) },
      { name: 'keel timeout', fn: () => kTimeout.execute(readsSignal) },
      bare,
    ]),
  );

  const kBulkhead = keelBulkhead(1_000, { maxQueue: 1_000 });
  const cockBulkhead = cBulkhead(1_000, 1_000);
  results.push(
    await compare('bulkhead (free slot)', [
      { name: 'cockatiel bulkhead', fn: () => cockBulkhead.execute(work) },
      { name: 'keel bulkhead', fn: () => kBulkhead.execute(work) },
      bare,
    ]),
  );

  const kPipeline = keelPipeline();
  const cockPipeline = cockatielPipeline();
  results.push(
    await compare('pipeline: retry + breaker + bulkhead + timeout', [
      { name: 'cockatiel wrap', fn: () => cockPipeline.execute(work) },
      { name: 'keel pipeline', fn: () => kPipeline.execute(work) },
      bare,
    ]),
  );

  results.push(
    await compare('pipeline: retry + breaker + bulkhead + timeout, function reads its signal', [
      { name: 'cockatiel wrap', fn: () => cockPipeline.execute(readsSignal) },
      { name: 'keel pipeline', fn: () => kPipeline.execute(readsSignal) },
      bare,
    ]),
  );

  opossumPlain.shutdown();
  opossumDefault.shutdown();
  record(
    'resilience: overhead per call (time per call minus the bare call)',
    ['comparison', 'contender', 'overhead'],
    overheadRows(results),
  );
  await recordInterleaved();
}
