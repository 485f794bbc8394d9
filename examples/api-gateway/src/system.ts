import { systemClock } from '@keel/core';
import type { Clock } from '@keel/core';
import { seededRandom } from '@keel/resilience';
import { startBackends, DEFAULT_TOPOLOGY } from './backends/services.js';
import type { Backends, ServiceName, Topology } from './backends/services.js';
import { mobileRoutes } from './bff/mobile.js';
import type { Upstreams } from './bff/upstreams.js';
import { webRoutes } from './bff/web.js';
import { issueToken } from './gateway/auth.js';
import type { TokenClaims } from './gateway/auth.js';
import type { PlanLimits } from './gateway/clientRateLimits.js';
import { startGateway } from './gateway/gateway.js';
import type { Gateway, RouteHandler } from './gateway/gateway.js';
import { ServiceUpstream } from './gateway/upstream.js';
import type { UpstreamOptions } from './gateway/upstream.js';
import { Router } from './http/router.js';

/** Options of {@link startSystem}. */
export interface SystemOptions {
  /** Replicas per service and their initial behaviour. @default DEFAULT_TOPOLOGY */
  readonly topology?: Topology;
  /** Resilience and balancing settings shared by every upstream. @default UPSTREAM_DEFAULTS */
  readonly upstream?: UpstreamOptions;
  /** Per-service overrides of `upstream`. @default none */
  readonly perService?: Partial<Record<ServiceName, UpstreamOptions>>;
  /** Token bucket per plan. @default DEFAULT_PLAN_LIMITS */
  readonly planLimits?: PlanLimits;
  /** HMAC key for tokens. @default a fixed demo key */
  readonly secret?: string;
  /** Seed of the balancers' and jitter's randomness. @default 7 */
  readonly seed?: number;
  /** Source of time. @default systemClock */
  readonly clock?: Clock;
}

/** Backends, upstreams and the gateway, all running. */
export interface System {
  readonly backends: Backends;
  readonly upstreams: Upstreams;
  readonly gateway: Gateway;
  /** Issues a token for a client acting for a user, valid for `ttlMs`. */
  token(claims: Omit<TokenClaims, 'exp'>, ttlMs?: number): string;
  /** Closes the gateway, then every backend replica. */
  close(): Promise<void>;
}

/**
 * Starts every backend replica, one {@link ServiceUpstream} (on `@keel/http`'s `createUpstream`) per service, both BFFs, and the gateway,
 * all on loopback ports.
 */
export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const clock = options.clock ?? systemClock;
  const secret = options.secret ?? 'demo-secret-do-not-use-in-production';
  const random = seededRandom(options.seed ?? 7);
  const backends = await startBackends(options.topology ?? DEFAULT_TOPOLOGY, clock);
  const upstream = (service: ServiceName): ServiceUpstream =>
    new ServiceUpstream(
      service,
      backends[service].map(({ id, url }) => ({ id, url })),
      { clock, random, ...options.upstream, ...options.perService?.[service] },
    );
  const upstreams: Upstreams = {
    users: upstream('users'),
    orders: upstream('orders'),
    catalog: upstream('catalog'),
  };
  const routes = webRoutes(mobileRoutes(new Router<RouteHandler>(), upstreams), upstreams);
  const gateway = await startGateway({
    routes,
    secret,
    clock,
    ...(options.planLimits === undefined ? {} : { planLimits: options.planLimits }),
  }).catch(async (error: unknown) => {
    await backends.close();
    throw error;
  });
  return {
    backends,
    upstreams,
    gateway,
    token: (claims, ttlMs = 60_000) => issueToken({ ...claims, exp: clock.now() + ttlMs }, secret),
    close: async () => {
      await gateway.close();
      await backends.close();
    },
  };
}
