import { createEvent, ManualClock } from '@keel/core';
import type { Logger } from '@keel/core';
import type { JetStreamClient, JetStreamPublishOptions, PubAck } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { isNatsPublishError } from '../errors/errors.js';
import { NatsPublisher } from './natsPublisher.js';
import { resolveNatsOptions } from './natsTransportOptions.js';

/**
 * A JetStream stand-in that de-duplicates by msgID like the server and whose first `lostAcks`
 * publishes store the message but time out before the ack, as during a leader failover.
 */
function flakyJetStream(lostAcks: number): { js: JetStreamClient; stored: string[]; msgIds: string[] } {
  const stored: string[] = [];
  const msgIds: string[] = [];
  let calls = 0;
  const publish = async (_subject: string, _data: unknown, options?: Partial<JetStreamPublishOptions>) => {
    calls++;
    const id = options?.msgID ?? '';
    msgIds.push(id);
    const duplicate = stored.includes(id);
    if (!duplicate) stored.push(id);
    if (calls <= lostAcks) throw Object.assign(new Error('timeout'), { name: 'TimeoutError' });
    return { stream: 'S', seq: stored.indexOf(id) + 1, duplicate, domain: '' } satisfies PubAck;
  };
  return { js: { publish } as unknown as JetStreamClient, stored, msgIds };
}

function recordingLogger(lines: string[]): Logger {
  const note = (message: string): void => void lines.push(message);
  const logger: Logger = { debug: note, info: note, warn: note, error: note, child: () => logger };
  return logger;
}

describe('NatsPublisher', () => {
  it('retries an unconfirmed publish with the same message id, so JetStream stores it once', async () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    const { js, stored, msgIds } = flakyJetStream(2);
    const publisher = new NatsPublisher(js, resolveNatsOptions({ clock, logger: recordingLogger(lines) }));
    const event = createEvent('Deposited', { amount: 1 });

    const done = publisher.publish([event], undefined, async () => undefined);
    await clock.runAllAsync();
    await done;

    expect(msgIds).toEqual([event.metadata.messageId, event.metadata.messageId, event.metadata.messageId]);
    expect(stored).toEqual([event.metadata.messageId]);
    expect(lines).toEqual([
      'NATS publish not confirmed; retrying with the same message id',
      'NATS publish not confirmed; retrying with the same message id',
      'NATS publish retry was a duplicate; JetStream kept the earlier copy',
    ]);
  });

  it('rejects with a NatsPublishError counting the attempts once failoverRetryMs is spent', async () => {
    const clock = new ManualClock();
    const { js } = flakyJetStream(Infinity);
    const publisher = new NatsPublisher(js, resolveNatsOptions({ clock, failoverRetryMs: 1_000 }));
    const events = [createEvent('A', {}), createEvent('B', {})];

    const failed = publisher.publish(events, undefined, async () => undefined).catch((e: unknown) => e);
    await clock.runAllAsync();
    const error = await failed;

    expect(isNatsPublishError(error)).toBe(true);
    expect(error).toMatchObject({ attempts: 5, failedIndex: 0 });
    expect((error as Error).message).toContain('after 5 attempts');
  });

  it('does not retry when failoverRetryMs is 0', async () => {
    const { js, msgIds } = flakyJetStream(Infinity);
    const publisher = new NatsPublisher(js, resolveNatsOptions({ failoverRetryMs: 0 }));
    const error = await publisher
      .publish([createEvent('A', {})], undefined, async () => undefined)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ attempts: 1 });
    expect(msgIds).toHaveLength(1);
  });
});
