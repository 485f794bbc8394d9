// The README quick start (src/readme/quickStart.snippet.ts, checked by scripts/check-snippets.mjs),
// run as written against the test server; it uses the stream ORDERS, deleted before and after.
import { serviceAvailable, serviceUrl } from '@keel/test-services';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually } from './internal/natsTestKit.fixture.js';

const up = await serviceAvailable('nats');

async function deleteOrdersStreams(): Promise<void> {
  const nc = await connect({ servers: serviceUrl('nats') });
  const jsm = await jetstreamManager(nc);
  for (const stream of ['ORDERS', 'ORDERS_DLQ']) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
}

describe.runIf(up)('README quick start', () => {
  beforeAll(deleteOrdersStreams);
  afterAll(deleteOrdersStreams);

  it('runs as written and bills the order in a consuming bus', async () => {
    vi.stubEnv('KEEL_NATS_URL', serviceUrl('nats'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const { shutdown } = await import('./readme/quickStart.snippet.js');
      await eventually('the order to be billed', () => log.mock.calls.length > 0);
      await shutdown();
      expect(log.mock.calls).toEqual([['billing o-1']]);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
    }
  });
});
