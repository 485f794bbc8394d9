import { eventTransportContract } from '@keel/cqrs/testing';
import { serviceAvailable } from '@keel/test-services';
import { afterAll, describe } from 'vitest';
import { NatsTestKit } from '../internal/natsTestKit.fixture.js';

const up = await serviceAvailable('nats');

describe.runIf(up)('NatsEventTransport on a real NATS JetStream server', () => {
  const kit = new NatsTestKit();
  afterAll(() => kit.cleanup());

  // Each test gets its own stream, subjects and durable consumer, removed by the kit afterwards.
  eventTransportContract('NatsEventTransport', async () => {
    const transport = await kit.transport({ ...kit.names('keel_nats_contract'), backoffMs: [20] });
    await transport.ensureStream();
    return transport;
  });
});
