import type { Order, Product, User } from '../backends/services.js';
import type { RouteHandler } from '../gateway/gateway.js';
import { header } from '../http/httpKit.js';
import type { Router } from '../http/router.js';
import { readValidBody } from '../gateway/validation.js';
import { PlaceOrderBody } from './schemas.js';
import { bodyOf } from './upstreams.js';
import type { Upstreams } from './upstreams.js';

/**
 * The mobile backend-for-frontend: one upstream call per screen and compact payloads (short
 * fields, no descriptions, no line items), because phones pay for every byte and round trip.
 *
 * - `GET /mobile/me` → `{ id, name, avatar }`
 * - `GET /mobile/orders` → `{ orders: [{ id, status, total }] }`
 * - `POST /mobile/orders` (validated body, safe to retry) → `201 { id, status, total }`
 * - `GET /mobile/products/:id` → `{ id, name, price }`
 */
export function mobileRoutes(router: Router<RouteHandler>, upstreams: Upstreams): Router<RouteHandler> {
  return router
    .on('GET', '/mobile/me', async ({ context, claims }) => {
      const path = `/users/${encodeURIComponent(claims.user)}`;
      const user = bodyOf<User>(await upstreams.users.request(context, { path }), 'user', claims.user);
      return { status: 200, body: { id: user.id, name: user.name, avatar: user.avatarUrl } };
    })
    .on('GET', '/mobile/orders', async ({ context, claims }) => {
      const path = `/orders?userId=${encodeURIComponent(claims.user)}`;
      const orders = bodyOf<Order[]>(
        await upstreams.orders.request(context, { path }),
        'orders of',
        claims.user,
      );
      return {
        status: 200,
        body: { orders: orders.map(({ id, status, total }) => ({ id, status, total })) },
      };
    })
    .on('POST', '/mobile/orders', async ({ context, claims, req }) => {
      const input = await readValidBody(req, PlaceOrderBody, 'PlaceOrder body');
      // The key makes the POST idempotent, so the upstream pipeline may retry it on another replica.
      const idempotencyKey = `${claims.sub}:${header(req, 'idempotency-key') ?? context.requestId}`;
      const response = await upstreams.orders.request(context, {
        method: 'POST',
        path: '/orders',
        body: { userId: claims.user, productId: input.productId, quantity: input.quantity },
        idempotencyKey,
      });
      const order = bodyOf<Order>(response, 'product', input.productId);
      return { status: 201, body: { id: order.id, status: order.status, total: order.total } };
    })
    .on('GET', '/mobile/products/:id', async ({ context, params }) => {
      const id = params.id!;
      const path = `/products/${encodeURIComponent(id)}`;
      const product = bodyOf<Product>(await upstreams.catalog.request(context, { path }), 'product', id);
      return { status: 200, body: { id: product.id, name: product.name, price: product.price } };
    });
}
