import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthReport } from '@keel/core';

/** The paths a Kubernetes probe calls: liveness and readiness. */
export const PROBE_PATHS = Object.freeze({ live: '/healthz', ready: '/readyz' });

/**
 * Creates the probe server: `GET /healthz` answers 200 while the service is alive (every
 * worker healthy) and 503 when it should be restarted; `GET /readyz` answers 200 once every
 * worker runs and 503 before that and once a stop has begun. Both send the JSON health report
 * (each worker's status and details: owned projections, checkpoint, lag …). Nothing else is
 * served: a worker service takes no traffic but its probes.
 *
 * @param report The current health report, e.g. `() => host.healthReport()`.
 */
export function createProbeServer(report: () => HealthReport): Server {
  return createServer((request, response) => answer(request, response, report));
}

function answer(request: IncomingMessage, response: ServerResponse, report: () => HealthReport): void {
  const path = new URL(request.url ?? '/', 'http://probe').pathname;
  if (path !== PROBE_PATHS.live && path !== PROBE_PATHS.ready) {
    return send(response, 404, { error: `Not found: ${path}. Probes: /healthz, /readyz.` });
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, { error: `Method ${request.method} not allowed; use GET.` });
  }
  let current: HealthReport;
  try {
    current = report();
  } catch (error) {
    return send(response, 503, { error: error instanceof Error ? error.message : String(error) });
  }
  const ok = path === PROBE_PATHS.live ? current.healthy : current.ready;
  send(response, ok ? 200 : 503, current, request.method === 'HEAD');
}

function send(response: ServerResponse, status: number, body: unknown, headOnly = false): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(headOnly ? undefined : text);
}

/**
 * Starts listening and resolves with the port (the one the system picked for port 0).
 * @throws The listen error (e.g. `EADDRINUSE`).
 */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and ends open probe connections, so they do not keep the process alive. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeAllConnections();
  });
}

/**
 * The report served while the database is still opening and no worker exists yet: alive
 * (starting is not a reason to restart) but not ready.
 *
 * @param now The time of the report, in ms since the epoch.
 * @param phase What the service is doing, e.g. `opening embedded PGlite`.
 */
export function startingReport(now: number, phase: string): HealthReport {
  return {
    status: 'warn',
    healthy: true,
    ready: false,
    time: new Date(now).toISOString(),
    workers: { service: { status: 'starting', healthy: true, ready: false, details: { phase } } },
  };
}
