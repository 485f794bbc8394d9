import { createNatsEventTransport } from '@keel/nats';
import type { NatsEventTransport } from '@keel/nats';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

/** Connects to a three-node JetStream cluster and sets up replicated ORDERS streams. */
export async function connectToCluster(
  servers: string[],
): Promise<{ nc: NatsConnection; transport: NatsEventTransport }> {
  // Every server of the cluster: when the one in use dies, the client moves to another.
  const nc = await connect({ servers, reconnectTimeWait: 250, maxReconnectAttempts: -1 });
  const transport = createNatsEventTransport(nc, {
    stream: 'ORDERS',
    subjectPrefix: 'orders',
    durableName: 'billing',
    replicas: 3, // ORDERS and ORDERS_DLQ on three servers: any one may be lost
    failoverRetryMs: 20_000, // how long publish() rides out a leader election (the default)
  });
  await transport.ensureStream();
  return { nc, transport };
}
