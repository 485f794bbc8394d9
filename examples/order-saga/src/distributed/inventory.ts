import { fileURLToPath } from 'node:url';
import type { SqlSchema } from '@keel/postgres';
import { runServiceProcess } from './serviceHost.js';
import type { ServiceDefinition } from './serviceHost.js';

/** The stock inventory starts with in every run, by SKU. */
export const INITIAL_STOCK: Readonly<Record<string, number>> = Object.freeze({ kettle: 10, lamp: 5 });

const stockRows = Object.entries(INITIAL_STOCK)
  .map(([sku, available]) => `('${sku}', ${available}, ${available})`)
  .join(', ');

/**
 * The inventory service: reserves stock for placed orders (or rejects them when too little is
 * left) and releases the reservation when payments reports a failure. No coordinator tells it
 * to: it reacts to the PaymentFailed event itself.
 */
export const inventoryService: ServiceDefinition<'inventory'> = {
  name: 'inventory',
  migrations: [
    {
      version: 1001,
      name: 'stock_and_reservations',
      sql: (schema: SqlSchema) => `
        CREATE TABLE ${schema.table('stock')} (
          sku text PRIMARY KEY,
          initial integer NOT NULL,
          available integer NOT NULL CHECK (available >= 0)
        );
        INSERT INTO ${schema.table('stock')} (sku, initial, available) VALUES ${stockRows};
        CREATE TABLE ${schema.table('reservations')} (
          order_id text PRIMARY KEY,
          sku text NOT NULL,
          quantity integer NOT NULL,
          status text NOT NULL CHECK (status IN ('reserved', 'released'))
        );`,
    },
  ],
  handlers: {
    OrderPlaced: async (event, { tx, schema, emit }) => {
      const { orderId, sku, quantity, amount } = event.data;
      const taken = await tx.query<{ available: number }>(
        `UPDATE ${schema.table('stock')} SET available = available - $2
         WHERE sku = $1 AND available >= $2 RETURNING available`,
        [sku, quantity],
      );
      if (taken.rowCount === 0) {
        const left = await tx.query<{ available: number }>(
          `SELECT available FROM ${schema.table('stock')} WHERE sku = $1`,
          [sku],
        );
        const available = left.rows[0]?.available ?? 0;
        emit('InventoryRejected', { orderId, reason: `only ${available} ${sku} left, ${quantity} ordered` });
        return;
      }
      await tx.query(
        `INSERT INTO ${schema.table('reservations')} (order_id, sku, quantity, status)
         VALUES ($1, $2, $3, 'reserved')`,
        [orderId, sku, quantity],
      );
      emit('InventoryReserved', { orderId, reservationId: `res-${orderId}`, amount });
    },
    PaymentFailed: async (event, { tx, schema }) => {
      const released = await tx.query<{ sku: string; quantity: number }>(
        `UPDATE ${schema.table('reservations')} SET status = 'released'
         WHERE order_id = $1 AND status = 'reserved' RETURNING sku, quantity`,
        [event.data.orderId],
      );
      for (const { sku, quantity } of released.rows) {
        await tx.query(`UPDATE ${schema.table('stock')} SET available = available + $2 WHERE sku = $1`, [
          sku,
          quantity,
        ]);
      }
    },
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runServiceProcess(inventoryService);
