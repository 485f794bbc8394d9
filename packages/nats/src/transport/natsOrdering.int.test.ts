// Ordering by aggregate on a real NATS JetStream server: an aggregate's events travel on one
// subject per event type, yet a subscription hands them over in the order they were recorded.
import { createEvent } from '@keel/core';
import type { Message } from '@keel/core';
import { serviceAvailable } from '@keel/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, NatsTestKit } from '../internal/natsTestKit.fixture.js';

const up = await serviceAvailable('nats');

/** The i-th event of order `id`: Placed, Paid, Shipped, Placed … each on its own subject. */
function orderEvent(id: string, version: number): Message {
  const type = ['Placed', 'Paid', 'Shipped'][(version - 1) % 3]!;
  const aggregate = { type: 'Order', id, stream: `Order-${id}`, version };
  return createEvent(type, { id, version }, { metadata: { aggregate } });
}

describe.runIf(up)('NatsEventTransport ordering by aggregate', () => {
  const kit = new NatsTestKit();
  beforeAll(async () => {
    await kit.connect();
  });
  afterAll(() => kit.cleanup());

  it("hands each aggregate's events to a subscriber in the order recorded, across subjects", async () => {
    const transport = await kit.transport({ ...kit.names(), concurrency: 4 });
    await transport.ensureStream();
    const seen = new Map<string, number[]>();
    let inFlight = 0;
    let maxInFlight = 0;
    // A direct subscriber: the transport alone keeps each aggregate's order (an event bus
    // consuming the transport also orders by the same key in process).
    await transport.subscribe(async (event) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const { id, version } = event.data as { id: string; version: number };
      // Each aggregate's first event of a triple is slow, so a later one would overtake it.
      if (version % 3 === 1) await new Promise((resolve) => setTimeout(resolve, 15));
      seen.set(id, [...(seen.get(id) ?? []), version]);
      inFlight--;
    });
    const events: Message[] = [];
    for (let version = 1; version <= 9; version++)
      for (const id of ['a', 'b', 'c']) events.push(orderEvent(id, version));
    await transport.publish(events);

    await eventually('all 27 events', () => [...seen.values()].flat().length === 27);
    for (const id of ['a', 'b', 'c']) expect(seen.get(id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(maxInFlight).toBeGreaterThan(1);
  });
});
