import { fileURLToPath } from 'node:url';
import type { SqlExecutor, SqlSchema } from '@keel/postgres';
import { runServiceProcess } from './serviceHost.js';
import type { ServiceDefinition } from './serviceHost.js';

/** Where an order stands in the orders service. */
export type OrderStatus = 'placed' | 'confirmed' | 'cancelled';

/**
 * The orders service: accepts orders from the storefront, confirms them when payments captured
 * the money, and cancels them when inventory or payments say no. It knows nothing of the other
 * services but the events they publish.
 */
export const ordersService: ServiceDefinition<'orders'> = {
  name: 'orders',
  migrations: [
    {
      version: 1001,
      name: 'orders',
      sql: (schema: SqlSchema) => `
        CREATE TABLE ${schema.table('orders')} (
          order_id text PRIMARY KEY,
          sku text NOT NULL,
          quantity integer NOT NULL,
          amount integer NOT NULL,
          status text NOT NULL CHECK (status IN ('placed', 'confirmed', 'cancelled')),
          reason text
        );`,
    },
  ],
  handlers: {
    OrderRequested: async (event, { tx, schema, emit }) => {
      const { orderId, sku, quantity, amount } = event.data;
      const { rowCount } = await tx.query(
        `INSERT INTO ${schema.table('orders')} (order_id, sku, quantity, amount, status)
         VALUES ($1, $2, $3, $4, 'placed') ON CONFLICT (order_id) DO NOTHING`,
        [orderId, sku, quantity, amount],
      );
      // The same order sent again under a new message id is not a new order.
      if (rowCount === 1) emit('OrderPlaced', { orderId, sku, quantity, amount });
    },
    PaymentCaptured: async (event, { tx, schema }) => {
      await settle(tx, schema, event.data.orderId, 'confirmed', null);
    },
    PaymentFailed: async (event, { tx, schema }) => {
      await settle(tx, schema, event.data.orderId, 'cancelled', event.data.reason);
    },
    InventoryRejected: async (event, { tx, schema }) => {
      await settle(tx, schema, event.data.orderId, 'cancelled', event.data.reason);
    },
  },
};

/** Moves a placed order to its final status; an order already final stays as it is. */
async function settle(
  tx: SqlExecutor,
  schema: SqlSchema,
  orderId: string,
  status: Exclude<OrderStatus, 'placed'>,
  reason: string | null,
): Promise<void> {
  await tx.query(
    `UPDATE ${schema.table('orders')} SET status = $2, reason = $3 WHERE order_id = $1 AND status = 'placed'`,
    [orderId, status, reason],
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runServiceProcess(ordersService);
