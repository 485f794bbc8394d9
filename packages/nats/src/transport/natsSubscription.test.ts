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
function fakeMsg(event: Message | Uint8Array, deliveryCount = 1, seq = 1): FakeMsg {
  const calls: string[] = [];
  const msg = {
    subject: 'p.T',
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
