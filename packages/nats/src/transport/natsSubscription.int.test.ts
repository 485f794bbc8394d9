import { createEvent } from '@keel/core';
import { serviceAvailable } from '@keel/test-services';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, NatsTestKit } from '../internal/natsTestKit.fixture.js';

const up = await serviceAvailable('nats');

describe.runIf(up)('NatsSubscription on a real NATS JetStream server', () => {
  const kit = new NatsTestKit();
  afterAll(() => kit.cleanup());

  it('handles events waiting behind a slow handler once each and dead-letters none of them', async () => {
    const names = kit.names();
    const transport = await kit.transport({ ...names, ackWaitMs: 1_000, maxDeliver: 2, backoffMs: [50] });
    await transport.ensureStream();
    const handled: string[] = [];
    // Event 1 outlives ackWaitMs several times over; 2 and 3 wait for the one concurrency slot.
    await transport.subscribe(async (event, delivery) => {
      const { n } = event.data as { n: number };
      handled.push(`${n}#${delivery.deliveryCount}`);
      if (n === 1) await new Promise((resolve) => setTimeout(resolve, 3_500));
    });
    await transport.publish([1, 2, 3].map((n) => createEvent('E', { n })));

    const jsm = await kit.manager();
    await eventually(
      'all three acknowledged',
      async () => {
        const info = await jsm.consumers.info(names.stream, names.durableName);
        return info.ack_floor.stream_seq === 3 && info.num_ack_pending === 0;
      },
      20_000,
    );
    expect(handled).toEqual(['1#1', '2#1', '3#1']);
    expect((await jsm.streams.info(`${names.stream}_DLQ`)).state.messages).toBe(0);
  }, 30_000);
});
