import type { HealthReport } from '@keel/core';
import type { HttpMiddleware } from './middleware.js';

/** Options of {@link healthEndpoints}. */
export interface HealthEndpointsOptions {
  /** The health report, e.g. `() => host.healthReport()` of core's `runWorkers`. */
  report: () => HealthReport | Promise<HealthReport>;
  /** The liveness path: 200 unless the report is `fail`. @default '/healthz' */
  livePath?: string | undefined;
  /** The readiness path: 200 only when the report is `pass`. @default '/readyz' */
  readyPath?: string | undefined;
}

/**
 * `node:http` middleware answering liveness and readiness probes with the health report as
 * JSON (`cache-control: no-store`): liveness 503 only when something is unhealthy, readiness
 * 503 until everything is ready. Other paths pass on.
 */
export function healthEndpoints(options: HealthEndpointsOptions): HttpMiddleware {
  const live = options.livePath ?? '/healthz';
  const ready = options.readyPath ?? '/readyz';
  return async (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (path !== live && path !== ready) return next();
    const report = await options.report();
    const ok = path === live ? report.status !== 'fail' : report.status === 'pass';
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(report));
  };
}
