import { createEvent } from '@keel/core';
import { createEventBus } from '@keel/cqrs';
import { serviceAvailable, serviceUrl } from '@keel/test-services';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createNatsEventTransport } from './index.js';
import { eventually, NatsTestKit } from './internal/natsTestKit.js';

const up = await serviceAvailable('nats');

describe.runIf(up)('README quick start', () => {
  const kit = new NatsTestKit();
  afterAll(() => kit.cleanup());

  it('runs as written and bills the order in a consuming bus', async () => {
    const { stream, subjectPrefix } = kit.names('keel_readme');
    const opened: string[] = [];
    const billing = { open: async (orderId: string) => void opened.push(orderId) };
    process.env.KEEL_NATS_URL ??= serviceUrl('nats');

    // --- README snippet (stream and subject prefix made unique for the test) ---
    const nc = await connect({ servers: process.env.KEEL_NATS_URL ?? 'nats://127.0.0.1:4222' });
    const transport = createNatsEventTransport(nc, { stream, subjectPrefix, durableName: 'billing' });
    await transport.ensureStream(); // creates ORDERS (orders.>) and ORDERS_DLQ, or updates them
    const bus = createEventBus<{ OrderPlaced: { orderId: string } }>({ transport });
    bus.subscribe('OrderPlaced', async (event) => billing.open(event.data.orderId));
    await bus.consume(transport); // any number of processes may consume with the same durableName
    await bus.publish([createEvent('OrderPlaced', { orderId: 'o-1' })]); // resolves once JetStream stored it
    // --- end of snippet ---

    await eventually('the order to be billed', () => opened.length === 1);
    expect(opened).toEqual(['o-1']);
    await bus.close();
    await transport.close();
    await nc.drain();
  });
});
