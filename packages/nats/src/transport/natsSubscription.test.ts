import { createEvent, ManualClock } from '@keel/core';
import type { Message } from '@keel/core';
import type { Consumer, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { describe, expect, it, vi } from 'vitest';
import { KEEL_HEADERS } from '../codec/headers.js';
import { jsonEventCodec } from '../codec/jsonEventCodec.js';
import { NatsSubscription } from './natsSubscription.js';
import { resolveNatsOptions } from './natsTransportOptions.js';
import type { NatsEventTransportOptions } from './natsTransportOptions.js';
import type { NatsHandler } from './natsDelivery.js';

interface FakeMsg {
  readonly msg: JsMsg;
  readonly calls: string[];
}

/** A JetStream message that records what the transport did with it. */
function fakeMsg(event: Message | Uint8Array, deliveryCount = 1, seq = 1, subject = 'p.T'): FakeMsg {
  const calls: string[] = [];
  const msg = {
    subject,
    seq,
    data: event instanceof Uint8Array ? event : jsonEventCodec.encode(event),
    headers: undefined,
    info: { deliveryCount, stream: 'S' },
    ack: () => calls.push('ack'),
    ackAck: async () => (calls.push('ack'), true),
    nak: (delay?: number) => calls.push(delay === undefined ? 'nak' : `nak:${delay}`),
    term: () => calls.push('term'),
    working: () => calls.push('working'),
  } as unknown as JsMsg;
  return { msg, calls };
}

/** A consumer whose `consume()` yields the given messages, then waits until closed. */
function fakeConsumer(messages: JsMsg[]): Consumer {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const iterator = (async function* () {
    yield* messages;
    await stopped;
  })();
  const consumed = Object.assign(iterator, {
    close: async () => stop(),
    status: async function* () {},
  });
  return { consume: async () => consumed } as unknown as Consumer;
}

async function run(
  messages: FakeMsg[],
  handler: NatsHandler,
  options: NatsEventTransportOptions = {},
  publish: JetStreamClient['publish'] = vi.fn(async () => ({ stream: 'S_DLQ', seq: 1, duplicate: false })),
): Promise<{ subscription: NatsSubscription; publish: JetStreamClient['publish'] }> {
  const resolved = resolveNatsOptions({ subjectPrefix: 'p', stream: 'S', backoffMs: [100, 200], ...options });
  const js = { publish } as unknown as JetStreamClient;
  const consumer = fakeConsumer(messages.map((m) => m.msg));
  const connection = { flush: async () => {} };
  const subscription = await NatsSubscription.start({
    connection,
    js,
    consumer,
    name: 'durable',
    options: resolved,
    handler,
  });
  return { subscription, publish };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('NatsSubscription', () => {
  it('acknowledges an event once its handler resolves', async () => {
    const m = fakeMsg(createEvent('T', {}));
    const { subscription } = await run([m], async () => {});
    await settle();
    await subscription.close();
    expect(m.calls).toEqual(['ack']);
  });

  it('naks a failed event with the backoff delay of its delivery count', async () => {
    const first = fakeMsg(createEvent('T', {}), 1, 1);
    const second = fakeMsg(createEvent('T', {}), 2, 2);
    const { subscription } = await run([first, second], async () => {
      throw new Error('fail');
    });
    await settle();
    await subscription.close();
    expect([first.calls, second.calls]).toEqual([['nak:100'], ['nak:200']]);
  });

  it('publishes a failure on its last allowed delivery to the dead-letter subject, then acknowledges it', async () => {
    const m = fakeMsg(createEvent('T', {}), 3);
    const { subscription, publish } = await run([m], async () => Promise.reject(new Error('poison')), {
      maxDeliver: 3,
    });
    await settle();
    await subscription.close();
    expect(m.calls).toEqual(['ack']);
    const [subject, , publishOptions] = vi.mocked(publish).mock.calls[0]!;
    expect(subject).toBe('keel.dead-letter.S');
    expect(publishOptions?.msgID).toBe('durable:S:1');
    expect(publishOptions?.headers?.get(KEEL_HEADERS.errorMessage)).toBe('poison');
  });

  it('naks with the longest backoff when the dead-letter publish fails, so nothing is lost', async () => {
    const m = fakeMsg(createEvent('T', {}), 5);
    const failing = vi.fn(async () => Promise.reject(new Error('no stream')));
    const { subscription } = await run([m], async () => Promise.reject(new Error('x')), {}, failing);
    await settle();
    await subscription.close();
    expect(m.calls).toEqual(['nak:200']);
  });

  it('terminates a failure on its last delivery when dead-lettering is off', async () => {
    const m = fakeMsg(createEvent('T', {}), 5);
    const { subscription, publish } = await run([m], async () => Promise.reject(new Error('x')), {
      deadLetterSubject: false,
    });
    await settle();
    await subscription.close();
    expect(m.calls).toEqual(['term']);
    expect(publish).not.toHaveBeenCalled();
  });

  it('dead-letters an undecodable body without calling the handler', async () => {
    const m = fakeMsg(new TextEncoder().encode('not json'));
    const handler = vi.fn(async () => {});
    const { subscription, publish } = await run([m], handler);
    await settle();
    await subscription.close();
    expect(handler).not.toHaveBeenCalled();
    expect(vi.mocked(publish).mock.calls[0]![2]?.headers?.get(KEEL_HEADERS.errorCode)).toBe(
      'NATS_SERIALIZATION_FAILED',
    );
    expect(m.calls).toEqual(['ack']);
  });

  it('tells JetStream a handler is still working every ackWaitMs / 2 until it ends', async () => {
    const clock = new ManualClock();
    const m = fakeMsg(createEvent('T', {}));
    let finish!: () => void;
    const { subscription } = await run([m], () => new Promise<void>((resolve) => (finish = resolve)), {
      clock,
      ackWaitMs: 1_000,
    });
    await settle();
    await clock.tickAsync(1_600);
    finish();
    await settle();
    await clock.tickAsync(2_000);
    await subscription.close();
    expect(m.calls).toEqual(['working', 'working', 'working', 'ack']);
  });

  it('marks an event waiting for a concurrency slot in progress until it is settled', async () => {
    const clock = new ManualClock();
    const slow = fakeMsg(createEvent('T', {}), 1, 1, 'p.one');
    const waiting = fakeMsg(createEvent('U', {}), 1, 2, 'p.two');
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const handled: number[] = [];
    const { subscription } = await run(
      [slow, waiting],
      async (_event, delivery) => {
        handled.push(delivery.streamSequence);
        if (delivery.streamSequence === 1) await gate;
      },
      { clock, ackWaitMs: 1_000, concurrency: 1 },
    );
    await settle();
    await clock.tickAsync(1_600);
    expect(handled).toEqual([1]);
    expect(waiting.calls).toEqual(['working', 'working', 'working']);
    finish();
    await settle();
    await clock.tickAsync(2_000);
    await subscription.close();
    expect(handled).toEqual([1, 2]);
    expect(waiting.calls).toEqual(['working', 'working', 'working', 'ack']);
  });

  it('skips a redelivered copy of an event it already holds instead of handling it twice', async () => {
    const original = fakeMsg(createEvent('T', {}), 1, 7);
    const copy = fakeMsg(createEvent('T', {}), 2, 7);
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const handled: number[] = [];
    const { subscription } = await run([original, copy], async (_event, delivery) => {
      handled.push(delivery.deliveryCount);
      await gate;
    });
    await settle();
    finish();
    await settle();
    await subscription.close();
    expect(handled).toEqual([1]);
    expect(original.calls).toEqual(['ack']);
    expect(copy.calls).toEqual(['working']);
  });

  it('handles an event once when an older copy of it arrives after the newer one', async () => {
    const original = fakeMsg(createEvent('T', {}), 2, 7);
    const stale = fakeMsg(createEvent('T', {}), 1, 7);
    const handled: number[] = [];
    const { subscription } = await run([original, stale], async (_event, delivery) => {
      handled.push(delivery.deliveryCount);
    });
    await settle();
    await subscription.close();
    expect(handled).toEqual([2]);
    expect(stale.calls.filter((call) => call !== 'working')).toEqual([]);
  });

  it('aborts the handler signal on close and hands the interrupted event back at once', async () => {
    const m = fakeMsg(createEvent('T', {}));
    let seen: AbortSignal | undefined;
    const { subscription } = await run([m], (_event, { signal }) => {
      seen = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    });
    await settle();
    await subscription.close();
    expect(seen?.aborted).toBe(true);
    expect(m.calls).toEqual(['nak']);
  });
});

describe('NatsSubscription ordering', () => {
  /** An event of aggregate `id` on subject `p.<type>`, stream sequence `seq`. */
  function aggregateMsg(type: string, id: string, seq: number): FakeMsg {
    const aggregate = { type: 'Order', id, stream: `Order-${id}`, version: seq };
    return fakeMsg(createEvent(type, { id, seq }, { metadata: { aggregate } }), 1, seq, `p.${type}`);
  }

  /** A handler that records starts and ends, holding the events listed in `held` until released. */
  function gatedHandler(held: string[]): { handler: NatsHandler; log: string[]; release: () => void } {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler: NatsHandler = async (event) => {
      const { id, seq } = event.data as { id: string; seq: number };
      const name = `${event.type}:${id ?? ''}:${seq ?? ''}`;
      log.push(`start ${name}`);
      if (held.includes(name)) await gate;
      log.push(`end ${name}`);
    };
    return { handler, log, release };
  }

  it("hands an aggregate's events over one at a time in stream order, even on different subjects", async () => {
    const placedA = aggregateMsg('Placed', 'A', 1);
    const placedB = aggregateMsg('Placed', 'B', 2);
    const shippedA = aggregateMsg('Shipped', 'A', 3);
    const { handler, log, release } = gatedHandler(['Placed:A:1']);
    const { subscription } = await run([placedA, placedB, shippedA], handler, { concurrency: 4 });
    await settle();
    // Order B shares a subject with order A's held event, yet runs; A's next event waits for it.
    expect(log).toEqual(['start Placed:A:1', 'start Placed:B:2', 'end Placed:B:2']);
    release();
    await settle();
    await subscription.close();
    expect(log.slice(3)).toEqual(['end Placed:A:1', 'start Shipped:A:3', 'end Shipped:A:3']);
  });

  it('orders events without an ordering key by subject', async () => {
    const first = fakeMsg(createEvent('T', {}), 1, 1, 'p.one');
    const second = fakeMsg(createEvent('T', {}), 1, 2, 'p.one');
    const other = fakeMsg(createEvent('U', {}), 1, 3, 'p.two');
    const started: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { subscription } = await run(
      [first, second, other],
      async (_event, delivery) => {
        started.push(delivery.streamSequence);
        if (delivery.streamSequence === 1) await gate;
      },
      { concurrency: 4 },
    );
    await settle();
    expect(started).toEqual([1, 3]);
    release();
    await settle();
    await subscription.close();
    expect(started).toEqual([1, 3, 2]);
  });

  it('uses a custom orderingKey', async () => {
    const byTenant = (event: Message): string | undefined => event.metadata.tenantId;
    const t1 = fakeMsg(createEvent('T', { seq: 1 }, { metadata: { tenantId: 'acme' } }), 1, 1, 'p.one');
    const t2 = fakeMsg(createEvent('T', { seq: 2 }, { metadata: { tenantId: 'acme' } }), 1, 2, 'p.two');
    const started: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { subscription } = await run(
      [t1, t2],
      async (_event, delivery) => {
        started.push(delivery.streamSequence);
        if (delivery.streamSequence === 1) await gate;
      },
      { concurrency: 4, orderingKey: byTenant },
    );
    await settle();
    expect(started).toEqual([1]);
    release();
    await settle();
    await subscription.close();
    expect(started).toEqual([1, 2]);
  });

  it('orders an event by its subject when orderingKey throws, and keeps consuming', async () => {
    const m = fakeMsg(createEvent('T', {}));
    const seen: number[] = [];
    const { subscription } = await run(
      [m],
      async (_event, delivery) => void seen.push(delivery.streamSequence),
      {
        orderingKey: () => {
          throw new Error('bad key');
        },
      },
    );
    await settle();
    await subscription.close();
    expect(seen).toEqual([1]);
    expect(m.calls).toEqual(['ack']);
  });
});
