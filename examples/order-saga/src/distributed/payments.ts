import { fileURLToPath } from 'node:url';
import type { SqlSchema } from '@keel/postgres';
import { runServiceProcess } from './serviceHost.js';
import type { ServiceDefinition } from './serviceHost.js';

/** The card limit of the example's customers: a larger amount is declined. */
export const CARD_LIMIT = 1_000;

/**
 * The payments service: charges the customer once goods are reserved, and publishes
 * PaymentCaptured or PaymentFailed. It does not know who reacts to a failure.
 */
export const paymentsService: ServiceDefinition<'payments'> = {
  name: 'payments',
  migrations: [
    {
      version: 1001,
      name: 'payments',
      sql: (schema: SqlSchema) => `
        CREATE TABLE ${schema.table('payments')} (
          order_id text PRIMARY KEY,
          amount integer NOT NULL,
          status text NOT NULL CHECK (status IN ('captured', 'declined')),
          reason text
        );`,
    },
  ],
  handlers: {
    InventoryReserved: async (event, { tx, schema, emit }) => {
      const { orderId, amount } = event.data;
      const declined = amount > CARD_LIMIT;
      const reason = declined ? `card declined: ${amount} is over the limit of ${CARD_LIMIT}` : null;
      const { rowCount } = await tx.query(
        `INSERT INTO ${schema.table('payments')} (order_id, amount, status, reason)
         VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING`,
        [orderId, amount, declined ? 'declined' : 'captured', reason],
      );
      if (rowCount === 0) return; // this order was charged (or declined) before
      if (reason !== null) emit('PaymentFailed', { orderId, reason });
      else emit('PaymentCaptured', { orderId, paymentId: `pay-${orderId}` });
    },
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await runServiceProcess(paymentsService);
