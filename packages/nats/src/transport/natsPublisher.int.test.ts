import { createEvent } from '@keel/core';
import { serviceAvailable } from '@keel/test-services';
import { afterAll, describe, expect, it } from 'vitest';
import { isNatsInvalidSubjectError } from '../errors/errors.js';
import { eventually, NatsTestKit } from '../internal/natsTestKit.fixture.js';

const up = await serviceAvailable('nats');

describe.runIf(up)('NatsPublisher on a real NATS JetStream server', () => {
  const kit = new NatsTestKit();
  afterAll(() => kit.cleanup());

  it('refuses an event whose subject is too long before sending it, and the connection stays up', async () => {
    const names = kit.names();
    const connection = await kit.connect();
    const statuses: string[] = [];
    void (async () => {
      for await (const status of connection.status()) statuses.push(status.type);
    })();
    // Short retries, so that the old behaviour (retrying the refused message) fails fast.
    const transport = await kit.transport(
      { ...names, publishTimeoutMs: 500, failoverRetryMs: 1_000 },
      connection,
    );
    await transport.ensureStream();
    const received: string[] = [];
    await transport.subscribe(async (event) => void received.push(event.type));

    const long = createEvent('T'.repeat(4_100), {});
    const refused = await transport.publish([long]).catch((error: unknown) => error);
    expect(refused).toSatisfy(isNatsInvalidSubjectError);
    expect(String((refused as Error).message)).toContain('1024');

    await transport.publish([createEvent('Other', {})]);
    await eventually('the other event', () => received.length === 1);
    expect(received).toEqual(['Other']);
    expect(statuses.filter((type) => type === 'disconnect' || type === 'error')).toEqual([]);
    expect((await kit.storedMessages(names.stream)).length).toBe(1);
  });
});
