import { NotFoundError } from '@keel/core';
import type { Clock } from '@keel/core';
import { Router } from '../http/router.js';
import { startReplica } from './replica.js';
import type { BackendHandler, Replica, ReplicaBehaviour } from './replica.js';

/** A user as the users service stores it. */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly avatarUrl: string;
  readonly tier: 'standard' | 'gold';
  readonly memberSince: string;
}

/** An order line. */
export interface OrderLine {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

/** An order as the orders service stores it. */
export interface Order {
  readonly id: string;
  readonly userId: string;
  readonly status: 'placed' | 'shipped' | 'delivered';
  readonly lines: readonly OrderLine[];
  readonly total: number;
  readonly placedAt: string;
}

/** A product as the catalog service stores it. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly price: number;
  readonly rating: number;
  readonly imageUrl: string;
  readonly description: string;
}

const USERS: readonly User[] = [
  {
    id: 'ada',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    avatarUrl: 'https://img.example.com/u/ada.png',
    tier: 'gold',
    memberSince: '2019-03-01',
  },
  {
    id: 'alan',
    name: 'Alan Turing',
    email: 'alan@example.com',
    avatarUrl: 'https://img.example.com/u/alan.png',
    tier: 'standard',
    memberSince: '2021-11-20',
  },
];

const PRODUCTS: readonly Product[] = [
  ['p-kettle', 'Gooseneck kettle', 59, 4.7, 'Pour-over kettle with a thermometer.'],
  ['p-grinder', 'Burr grinder', 129, 4.5, 'Conical burrs, 40 grind settings.'],
  ['p-scale', 'Coffee scale', 35, 4.2, 'Weighs to 0.1 g with a timer.'],
  ['p-dripper', 'Ceramic dripper', 24, 4.8, 'Single-cup ceramic dripper.'],
].map(([id, name, price, rating, description]) => ({
  id: id as string,
  name: name as string,
  price: price as number,
  rating: rating as number,
  imageUrl: `https://img.example.com/p/${id as string}.png`,
  description: description as string,
}));

function ok(body: unknown, status = 200): { status: number; body: unknown } {
  return { status, body };
}

/** The users service's routes: `GET /users/:id`. */
export function usersRoutes(): Router<BackendHandler> {
  return new Router<BackendHandler>().on('GET', '/users/:id', ({ params }) => {
    const user = USERS.find((candidate) => candidate.id === params.id);
    return user === undefined ? ok({ error: `no user ${params.id}` }, 404) : ok(user);
  });
}

/**
 * The orders service's routes: `GET /orders?userId=` and `POST /orders`. Every replica shares
 * one store (think: one database), and `POST` honours `Idempotency-Key`, so a retried
 * request never places the order twice.
 */
export function ordersRoutes(): Router<BackendHandler> {
  const orders: Order[] = [
    order('o-1001', 'ada', 'delivered', [{ productId: 'p-grinder', quantity: 1, unitPrice: 129 }]),
    order('o-1002', 'ada', 'shipped', [{ productId: 'p-scale', quantity: 2, unitPrice: 35 }]),
    order('o-1003', 'alan', 'placed', [{ productId: 'p-kettle', quantity: 1, unitPrice: 59 }]),
  ];
  const byIdempotencyKey = new Map<string, Order>();
  return new Router<BackendHandler>()
    .on('GET', '/orders', ({ query }) => ok(orders.filter((o) => o.userId === query.get('userId'))))
    .on('POST', '/orders', ({ headers, body }) => {
      const key = headers['idempotency-key'];
      const replay = typeof key === 'string' ? byIdempotencyKey.get(key) : undefined;
      if (replay !== undefined) return ok(replay, 201);
      const input = body as { userId: string; productId: string; quantity: number };
      const product = PRODUCTS.find((p) => p.id === input.productId);
      if (product === undefined) return ok({ error: `no product ${input.productId}` }, 422);
      const line = { productId: product.id, quantity: input.quantity, unitPrice: product.price };
      const placed = order(`o-${1001 + orders.length}`, input.userId, 'placed', [line]);
      orders.push(placed);
      if (typeof key === 'string') byIdempotencyKey.set(key, placed);
      return ok(placed, 201);
    });
}

function order(id: string, userId: string, status: Order['status'], lines: OrderLine[]): Order {
  const total = lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0);
  return { id, userId, status, lines, total, placedAt: '2026-11-01T10:00:00.000Z' };
}

/** The catalog service's routes: `GET /products/:id` and `GET /recommendations?userId=`. */
export function catalogRoutes(): Router<BackendHandler> {
  return new Router<BackendHandler>()
    .on('GET', '/products/:id', ({ params }) => {
      const product = PRODUCTS.find((p) => p.id === params.id);
      return product === undefined ? ok({ error: `no product ${params.id}` }, 404) : ok(product);
    })
    .on('GET', '/recommendations', ({ query }) => {
      // A stand-in for a model: a stable pick per user.
      const offset = (query.get('userId') ?? '').length % PRODUCTS.length;
      return ok([0, 1, 2].map((i) => PRODUCTS[(offset + i) % PRODUCTS.length]!));
    });
}

/** Names of the backend services. */
export type ServiceName = 'users' | 'orders' | 'catalog';

/** Every backend replica, by service. */
export interface Backends {
  readonly users: readonly Replica[];
  readonly orders: readonly Replica[];
  readonly catalog: readonly Replica[];
  /** One replica by id, e.g. `orders-3`. */
  replica(id: string): Replica;
  /** Closes every replica. */
  close(): Promise<void>;
}

/** How many replicas each service gets and how each starts out. */
export type Topology = Readonly<Record<ServiceName, readonly Partial<ReplicaBehaviour>[]>>;

/** The default topology: `users` ×2 (the second one slow), `orders` ×3, `catalog` ×1. */
export const DEFAULT_TOPOLOGY: Topology = Object.freeze({
  users: [{}, { latencyMs: 120 }],
  orders: [{}, {}, {}],
  catalog: [{}],
});

/** Starts every backend service's replicas on loopback ports. */
export async function startBackends(topology: Topology = DEFAULT_TOPOLOGY, clock?: Clock): Promise<Backends> {
  const routes = { users: usersRoutes(), orders: ordersRoutes(), catalog: catalogRoutes() };
  const start = (service: ServiceName): Promise<Replica[]> =>
    Promise.all(
      topology[service].map((behaviour, index) =>
        startReplica({
          service,
          id: `${service}-${index + 1}`,
          routes: routes[service],
          behaviour,
          ...(clock === undefined ? {} : { clock }),
        }),
      ),
    );
  const [users, orders, catalog] = await Promise.all([start('users'), start('orders'), start('catalog')]);
  const all = [...users, ...orders, ...catalog];
  return {
    users,
    orders,
    catalog,
    replica(id) {
      const found = all.find((replica) => replica.id === id);
      if (found === undefined) throw new NotFoundError('replica', id);
      return found;
    },
    close: async () => {
      await Promise.all(all.map((replica) => replica.close()));
    },
  };
}
