// What @keel/resilience's telemetry costs per call: the policy benchmarks run with nothing
// installed, with @keel/opentelemetry installed but no OpenTelemetry SDK registered (the global
// no-op API), and with it installed over a real SDK (a MeterProvider with a reader that is never
// collected, and a BasicTracerProvider with an in-memory exporter). Telemetry is process-wide, so
// each variant is installed for its own batch of calls; batches are interleaved over rounds so
// load spikes hit every variant alike, and the median per call is kept.
import { installOpenTelemetry } from '@keel/opentelemetry';
import {
  bulkhead,
  circuitBreaker,
  consecutiveFailures,
  fallback,
  pipeline,
  retry,
  timeout,
} from '@keel/resilience';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { record } from '../harness.js';

const work = (): Promise<number> => Promise.resolve(1);

/** A reader that keeps the SDK aggregating but never exports: the cost measured is recording. */
class IdleReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One telemetry set-up: installs it and returns its teardown. */
interface Variant {
  readonly name: string;
  readonly install: () => () => Promise<void>;
}

const VARIANTS: readonly Variant[] = [
  { name: 'no telemetry', install: () => async () => {} },
  {
    name: 'installed, no SDK',
    install: () => {
      const uninstall = installOpenTelemetry();
      return async () => uninstall();
    },
  },
  {
    name: 'installed over SDK',
    install: () => {
      const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
      const tracerProvider = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
      });
      const uninstall = installOpenTelemetry({ meterProvider, tracerProvider });
      return async () => {
        uninstall();
        await meterProvider.shutdown();
        await tracerProvider.shutdown();
      };
    },
  },
];

function policies(): Record<string, () => Promise<unknown>> {
  const policy = {
    retry: retry({ maxRetries: 3 }),
    breaker: circuitBreaker({ strategy: consecutiveFailures(5), breakDuration: 10_000 }),
    timeout: timeout(10_000),
    bulkhead: bulkhead(1_000, { maxQueue: 1_000 }),
    fallback: fallback(0),
    pipeline: pipeline(
      retry({ maxRetries: 3 }),
      circuitBreaker({ strategy: consecutiveFailures(5), breakDuration: 10_000 }),
      bulkhead(1_000, { maxQueue: 1_000 }),
      timeout(10_000),
    ),
  };
  return Object.fromEntries(Object.entries(policy).map(([name, each]) => [name, () => each.execute(work)]));
}

/** Mean ns per call of `fn` over `calls` sequential calls. */
async function nsPerCall(fn: () => Promise<unknown>, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await fn();
  return Number(process.hrtime.bigint() - started) / calls;
}

function median(values: number[]): number {
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** Median ns per call of the bare call and of `fn` under each variant, interleaved over rounds. */
async function measure(
  fn: () => Promise<unknown>,
  rounds: number,
  calls: number,
): Promise<{ bare: number; variants: number[] }> {
  const bare: number[] = [];
  const samples: number[][] = VARIANTS.map(() => []);
  // Warm up first, so the first variant measured does not pay for the JIT.
  await nsPerCall(fn, calls);
  for (let round = 0; round < rounds; round++) {
    bare.push(await nsPerCall(work, calls));
    for (const [index, variant] of VARIANTS.entries()) {
      const teardown = variant.install();
      try {
        samples[index]!.push(await nsPerCall(fn, calls));
      } finally {
        await teardown();
      }
    }
  }
  return { bare: median(bare), variants: samples.map(median) };
}

export async function run(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const rounds = quick ? 3 : 9;
  const calls = quick ? 20_000 : 200_000;
  const rows: string[][] = [];
  for (const [name, fn] of Object.entries(policies())) {
    const { bare, variants } = await measure(fn, rounds, calls);
    const overhead = variants.map((ns) => Math.max(ns - bare, 0));
    rows.push([
      name,
      ...overhead.map((ns) => `${ns.toFixed(0)} ns`),
      `+${Math.max(overhead[2]! - overhead[0]!, 0).toFixed(0)} ns`,
    ]);
  }
  record(
    'resilience telemetry: median overhead per call (ns above a bare resolved promise; successful calls, no active span)',
    ['policy', ...VARIANTS.map((variant) => variant.name), 'SDK cost over no telemetry'],
    rows,
  );
}
