import { connect } from 'node:net';
import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import type { UpstreamEvent, UpstreamOptions } from '../gateway/upstream.js';
import { startSystem } from '../system.js';
import type { SystemOptions } from '../system.js';
import { authentication, happyPath, rateLimiting, validation } from './edgeScenes.js';
import { catalogOutage, flakyReplica, slowReplica } from './resilienceScenes.js';
import { TourKit } from './tourKit.js';
import type { TourSection, TourStep } from './tourKit.js';

/**
 * Short, real durations for a live demo: a 400 ms attempt timeout, 3 retries from 20 ms, a
 * breaker that opens for 800 ms, and ejections of 2 s.
 */
export const TOUR_UPSTREAM: UpstreamOptions = Object.freeze({
  timeoutMs: 400,
  maxRetries: 3,
  backoffMs: 20,
  breakerFailures: 5,
  breakMs: 800,
  outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 2_000 },
});

/**
 * `users` keeps P2C peak-EWMA (it steers around the slow replica); `orders` uses P2C
 * least-connections; the catalog's breaker trips sooner, after 3 failures in a row.
 */
export const TOUR_PER_SERVICE: NonNullable<SystemOptions['perService']> = Object.freeze({
  orders: { strategy: 'least-connections' },
  catalog: { breakerFailures: 3 },
});

/** What the tour did: its sections, every upstream event, and whether everything shut down. */
export interface TourReport {
  readonly sections: readonly TourSection[];
  readonly events: readonly UpstreamEvent[];
  /** Whether the gateway and every backend server closed. */
  readonly closed: boolean;
  /** Wall-clock length of the tour, in ms (printed, never asserted). */
  readonly durationMs: number;
}

/** Finds a step by id across sections. */
export function findStep(report: TourReport, id: string): TourStep | undefined {
  for (const section of report.sections) {
    const step = section.steps.find((candidate) => candidate.id === id);
    if (step !== undefined) return step;
  }
  return undefined;
}

/** Whether nothing listens at `url` any more: a fresh TCP connection is refused. */
function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    // A raw socket, not fetch: fetch could reuse a pooled keep-alive connection.
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/**
 * Starts the backends and the gateway, drives them with real HTTP requests through every
 * scenario, and shuts everything down, even when a scene fails.
 */
export async function runTour(clock: Clock = systemClock): Promise<TourReport> {
  const startedAt = clock.now();
  const system = await startSystem({ upstream: TOUR_UPSTREAM, perService: TOUR_PER_SERVICE, clock });
  const kit = new TourKit(system, clock);
  try {
    await happyPath(kit);
    await authentication(kit);
    await validation(kit);
    await rateLimiting(kit);
    await slowReplica(kit);
    await flakyReplica(kit);
    await catalogOutage(kit, TOUR_UPSTREAM.breakMs!);
    kit.finish();
  } finally {
    await system.close();
  }
  const { users, orders, catalog } = system.backends;
  const urls = [system.gateway.url, ...[...users, ...orders, ...catalog].map((replica) => replica.url)];
  const closed = (await Promise.all(urls.map(refusesConnections))).every(Boolean);
  return { sections: kit.sections, events: kit.allEvents, closed, durationMs: clock.now() - startedAt };
}
