import { Socket } from 'node:net';

/** A real server an integration test may need. */
export type ServiceName = 'postgres' | 'redis' | 'nats';

interface ServiceInfo {
  readonly env: string;
  readonly fallback: string;
  readonly defaultPort: number;
}

const SERVICES: Readonly<Record<ServiceName, ServiceInfo>> = Object.freeze({
  postgres: { env: 'KEEL_PG_URL', fallback: 'postgres://postgres@127.0.0.1:5432/test', defaultPort: 5432 },
  redis: { env: 'KEEL_REDIS_URL', fallback: 'redis://127.0.0.1:6379', defaultPort: 6379 },
  nats: { env: 'KEEL_NATS_URL', fallback: 'nats://127.0.0.1:4222', defaultPort: 4222 },
});

/** The connection URL of a service: its environment variable, or the local default. */
export function serviceUrl(name: ServiceName): string {
  const info = SERVICES[name];
  return process.env[info.env] || info.fallback;
}

/** Whether integration tests must fail rather than skip when a server is unreachable. */
export function servicesRequired(): boolean {
  return process.env.KEEL_REQUIRE_SERVICES === '1';
}

function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/**
 * Checks that a service accepts TCP connections. Returns `true` when it does. When it does not:
 * with `KEEL_REQUIRE_SERVICES=1` throws (so the suite fails); otherwise prints why the tests
 * that need it are skipped and returns `false`. Use the result with `describe.runIf`.
 *
 * @example
 * ```ts
 * const pgUp = await serviceAvailable('postgres');
 * describe.runIf(pgUp)('PostgresEventStore on a real server', () => { … });
 * ```
 */
export async function serviceAvailable(name: ServiceName, timeoutMs = 1_000): Promise<boolean> {
  const info = SERVICES[name];
  const url = new URL(serviceUrl(name));
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port) || info.defaultPort;
  if (await canConnect(host, port, timeoutMs)) return true;
  const reason = `${name} is not reachable at ${host}:${port} (set ${info.env} to point elsewhere)`;
  if (servicesRequired()) throw new Error(`${reason}, and KEEL_REQUIRE_SERVICES=1 forbids skipping.`);
  console.warn(`[skip] ${reason}: skipping the tests that need it.`);
  return false;
}

/** A name unique to this test run, for schemas, key prefixes and subjects (lowercase, `_`-safe). */
export function uniqueName(prefix: string): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${random}`.toLowerCase();
}

export { runUnderNodeTest } from './nodeTest.js';
export type { NodeTestReport } from './nodeTest.js';
