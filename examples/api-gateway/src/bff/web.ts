import { isKeelError } from '@keel/core';
import { fallback } from '@keel/resilience';
import type { Order, Product, User } from '../backends/services.js';
import type { RouteHandler } from '../gateway/gateway.js';
import type { RequestContext } from '../gateway/requestContext.js';
import type { Router } from '../http/router.js';
import { bodyOf } from './upstreams.js';
import type { Upstreams } from './upstreams.js';

/** A page section that may be missing: its data, or why it is unavailable. */
export type Section<TData> =
  { readonly available: true; readonly data: TData } | { readonly available: false; readonly reason: string };

/** The aggregated home page of the web BFF. */
export interface WebHomePage {
  readonly user: User;
  readonly orders: Section<readonly Order[]>;
  readonly recommendations: Section<readonly Product[]>;
  /** Names of the sections that could not be loaded. */
  readonly degraded: readonly string[];
}

/**
 * Optional sections degrade instead of failing the page: any failure (open circuit, timeout,
 * 5xx after retries) becomes `{ available: false, reason }`. An aborted request is not replaced.
 */
const unavailable = fallback<{ readonly available: false; readonly reason: string }>((outcome) => ({
  available: false,
  reason: 'error' in outcome && isKeelError(outcome.error) ? outcome.error.code : 'UNKNOWN',
}));

async function optional<TData>(load: () => Promise<TData>, signal: AbortSignal): Promise<Section<TData>> {
  return unavailable.execute(async () => ({ available: true as const, data: await load() }), signal);
}

async function homePage(upstreams: Upstreams, context: RequestContext, userId: string): Promise<WebHomePage> {
  const query = `?userId=${encodeURIComponent(userId)}`;
  // Fan out to the three services at once; the page takes as long as the slowest, not the sum.
  const [user, orders, recommendations] = await Promise.all([
    upstreams.users
      .request(context, { path: `/users/${encodeURIComponent(userId)}` })
      .then((response) => bodyOf<User>(response, 'user', userId)),
    optional(
      async () =>
        bodyOf<Order[]>(
          await upstreams.orders.request(context, { path: `/orders${query}` }),
          'orders of',
          userId,
        ),
      context.signal,
    ),
    optional(
      async () =>
        bodyOf<Product[]>(
          await upstreams.catalog.request(context, { path: `/recommendations${query}` }),
          'recommendations for',
          userId,
        ),
      context.signal,
    ),
  ]);
  const degraded = [
    orders.available ? [] : ['orders'],
    recommendations.available ? [] : ['recommendations'],
  ].flat();
  return { user, orders, recommendations, degraded };
}

/**
 * The web backend-for-frontend: one rich, aggregated page per request. `GET /web/home` calls
 * users, orders and catalog in parallel; the profile is required (its failure fails the page),
 * while orders and recommendations each have their own fallback, so a broken catalog yields a
 * page with `recommendations: { available: false }` and `degraded: ['recommendations']`.
 */
export function webRoutes(router: Router<RouteHandler>, upstreams: Upstreams): Router<RouteHandler> {
  return router.on('GET', '/web/home', async ({ context, claims }) => ({
    status: 200,
    body: await homePage(upstreams, context, claims.user),
  }));
}
