import { createEvent } from '@keel/core';
import { createEventBus } from '@keel/cqrs';
import { createNatsEventTransport } from '@keel/nats';
import { connect } from '@nats-io/transport-node';

// Your billing service; a stand-in here.
const billing = { open: async (orderId: string) => console.log(`billing ${orderId}`) };

const nc = await connect({ servers: process.env.KEEL_NATS_URL ?? 'nats://127.0.0.1:4222' });
const transport = createNatsEventTransport(nc, {
  stream: 'ORDERS',
  subjectPrefix: 'orders',
  durableName: 'billing',
});
await transport.ensureStream(); // creates ORDERS (orders.>) and ORDERS_DLQ, or updates them
const bus = createEventBus<{ OrderPlaced: { orderId: string } }>({ transport });
bus.subscribe('OrderPlaced', async (event) => billing.open(event.data.orderId));
await bus.consume(transport); // any number of processes may consume with the same durableName
await bus.publish([createEvent('OrderPlaced', { orderId: 'o-1' })]); // resolves once JetStream stored it

/** Call on shutdown: finishes the handlers in flight, then closes the connection. */
export async function shutdown(): Promise<void> {
  await bus.close();
  await transport.close();
  await nc.drain();
}
