import {
  assertOptions,
  describeValue,
  ManualClock,
  optionInteger,
  optionNumber,
  optionRatio,
  optionString,
  seededRandom,
  withDefaults,
} from '@keel/core';
import type { OptionProblem } from '@keel/core';
import { exponential } from '../internal/random.js';
import { isNoEndpointAvailableError } from './balancingErrors.js';
import type { Lease } from './lease.js';
import { LoadBalancer } from './loadBalancer.js';
import type { OutlierDetectionOptions } from './outlierDetection.js';
import type { BalancingStrategy } from './strategy.js';

/** A simulated backend: an M/M/c-style server with its own speed and failure rate. */
export interface SimulatedBackend {
  readonly id: string;
  /** Mean service time in ms (exponentially distributed). */
  readonly meanLatencyMs: number;
  /** Requests it serves at once; the rest queue. @default 8 */
  readonly concurrency?: number | undefined;
  /** Probability that a request fails. @default 0 */
  readonly failureRate?: number | undefined;
  /** How long a failing request takes, in ms. @default 1 */
  readonly failureLatencyMs?: number | undefined;
  /** Weight given to the balancer. @default 1 */
  readonly weight?: number | undefined;
}

/** Options of {@link simulateLoadBalancing}. */
export interface SimulationOptions {
  /** The backends. */
  readonly backends: readonly SimulatedBackend[];
  /** How many requests arrive. @default 5_000 */
  readonly requests?: number | undefined;
  /** Mean arrival rate (Poisson), per second. @default 200 */
  readonly arrivalsPerSecond?: number | undefined;
  /** Seed of every random draw, so runs are reproducible. @default 1 */
  readonly seed?: number | undefined;
  /** Outlier detection of the simulated balancer. @default OUTLIER_DETECTION_DEFAULTS */
  readonly outlierDetection?: OutlierDetectionOptions | false | undefined;
}

/** Per-backend outcome of a simulation. */
export interface SimulatedBackendResult {
  readonly id: string;
  readonly requests: number;
  readonly failures: number;
  /** Share of all requests sent to this backend. */
  readonly share: number;
}

/** The outcome of {@link simulateLoadBalancing} for one strategy. */
export interface SimulationResult {
  readonly strategy: string;
  readonly requests: number;
  /** Failed requests, including those refused for lack of an endpoint. */
  readonly failures: number;
  /** Latency percentiles of successful requests (queueing included), in ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
  /** Every successful request's latency in ms, ascending (for charts). */
  readonly latencies: readonly number[];
  readonly backends: readonly SimulatedBackendResult[];
}

interface Job {
  readonly lease: Lease<SimulatedBackend>;
  readonly arrivedAt: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The defaults of {@link SimulationOptions}. */
const SIMULATION_DEFAULTS = Object.freeze({ requests: 5_000, arrivalsPerSecond: 200, seed: 1 });

function backendChecks(backends: unknown): Record<string, OptionProblem> {
  if (!Array.isArray(backends) || backends.length === 0)
    return { backends: `must list at least one backend (got ${describeValue(backends)}).` };
  const checks: Record<string, OptionProblem> = {};
  backends.forEach((backend: unknown, index) => {
    const path = `backends.${index}`;
    if (backend === null || typeof backend !== 'object') {
      checks[path] = `must be a backend { id, meanLatencyMs } (got ${describeValue(backend)}).`;
      return;
    }
    const b = backend as Record<string, unknown>;
    checks[`${path}.id`] = optionString(b['id'], true);
    checks[`${path}.meanLatencyMs`] = optionNumber(b['meanLatencyMs'], { min: 0, required: true });
    checks[`${path}.concurrency`] = optionInteger(b['concurrency'], { min: 1 });
    checks[`${path}.failureRate`] = optionRatio(b['failureRate']);
    checks[`${path}.failureLatencyMs`] = optionNumber(b['failureLatencyMs'], { min: 0 });
    checks[`${path}.weight`] = optionNumber(b['weight'], { min: 0, exclusiveMin: true });
  });
  return checks;
}

function simulationSettings(options: SimulationOptions) {
  const settings = withDefaults(SIMULATION_DEFAULTS, options);
  assertOptions('simulation', {
    requests: optionInteger(settings.requests, { min: 1, max: 10_000_000 }),
    arrivalsPerSecond: optionNumber(settings.arrivalsPerSecond, { min: 0, exclusiveMin: true }),
    seed: optionInteger(settings.seed),
    ...backendChecks(settings.backends),
  });
  return settings;
}

/**
 * Runs a seeded discrete-event simulation of a load balancer in front of heterogeneous
 * backends on a virtual clock (it finishes in milliseconds of real time), and reports latency
 * percentiles and where the requests went. Use it to compare strategies on your own mix of
 * slow and failing backends.
 *
 * @param strategy Creates the strategy under test (a fresh one per run).
 * @param options Backends, load and seed.
 * @example
 * ```ts
 * const backends = [{ id: 'fast', meanLatencyMs: 10 }, { id: 'slow', meanLatencyMs: 200 }];
 * simulateLoadBalancing(roundRobin, { backends }).p99; // far above…
 * simulateLoadBalancing(peakEwma, { backends }).p99;   // …this
 * ```
 */
export function simulateLoadBalancing(
  strategy: () => BalancingStrategy,
  options: SimulationOptions,
): SimulationResult {
  const settings = simulationSettings(options);
  const clock = new ManualClock();
  const random = seededRandom(settings.seed);
  const lb = new LoadBalancer(
    settings.backends.map((backend) => ({ id: backend.id, value: backend, weight: backend.weight ?? 1 })),
    { strategy: strategy(), clock, random, outlierDetection: settings.outlierDetection ?? {} },
  );
  const servers = new SimulatedServers(clock, random);
  const total = settings.requests;
  const meanGapMs = 1_000 / settings.arrivalsPerSecond;
  let arrived = 0;
  const scheduleArrival = (): void => {
    clock.setTimeout(
      () => {
        servers.arrive(lb);
        if (++arrived < total) scheduleArrival();
      },
      exponential(random, meanGapMs),
    );
  };
  scheduleArrival();
  while (clock.nextDueAt !== undefined) clock.advance(clock.nextDueAt - clock.now());
  return summarize(lb, servers.latencies, servers.refused, total);
}

/** The backends' servers: each serves up to `concurrency` jobs at once and queues the rest (FIFO). */
class SimulatedServers {
  readonly latencies: number[] = [];
  refused = 0;
  readonly #busy = new Map<string, number>();
  readonly #queues = new Map<string, Job[]>();
  readonly #clock: ManualClock;
  readonly #random: () => number;

  constructor(clock: ManualClock, random: () => number) {
    this.#clock = clock;
    this.#random = random;
  }

  /** A request arrives: the balancer picks a backend, which serves it now or queues it. */
  arrive(lb: LoadBalancer<SimulatedBackend>): void {
    let lease: Lease<SimulatedBackend>;
    try {
      lease = lb.acquire();
    } catch (error) {
      if (!isNoEndpointAvailableError(error)) throw error;
      this.refused++;
      return;
    }
    const backend = lease.endpoint.value;
    const job = { lease, arrivedAt: this.#clock.now() };
    if ((this.#busy.get(backend.id) ?? 0) < (backend.concurrency ?? 8)) this.#start(job);
    else this.#queueOf(backend.id).push(job);
  }

  #queueOf(id: string): Job[] {
    let queue = this.#queues.get(id);
    if (queue === undefined) this.#queues.set(id, (queue = []));
    return queue;
  }

  #start(job: Job): void {
    const backend = job.lease.endpoint.value;
    this.#busy.set(backend.id, (this.#busy.get(backend.id) ?? 0) + 1);
    const fails = this.#random() < (backend.failureRate ?? 0);
    const serviceMs = fails
      ? (backend.failureLatencyMs ?? 1)
      : exponential(this.#random, backend.meanLatencyMs);
    this.#clock.setTimeout(() => {
      if (fails) job.lease.failure();
      else {
        job.lease.success();
        this.latencies.push(this.#clock.now() - job.arrivedAt);
      }
      this.#busy.set(backend.id, this.#busy.get(backend.id)! - 1);
      const next = this.#queueOf(backend.id).shift();
      if (next !== undefined) this.#start(next);
    }, serviceMs);
  }
}

function summarize(
  lb: LoadBalancer<SimulatedBackend>,
  latencies: number[],
  refused: number,
  total: number,
): SimulationResult {
  latencies.sort((a, b) => a - b);
  const stats = lb.stats();
  const failures = refused + stats.reduce((sum, s) => sum + s.failures, 0);
  return {
    strategy: lb.strategyName,
    requests: total,
    failures,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length),
    max: latencies[latencies.length - 1] ?? 0,
    latencies,
    backends: stats.map((s) => ({
      id: s.id,
      requests: s.requests,
      failures: s.failures,
      share: s.requests / total,
    })),
  };
}
