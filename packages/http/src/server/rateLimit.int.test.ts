import { serviceAvailable, serviceUrl, uniqueName } from '@keel/test-services';
import { RedisRateLimitStore } from '@keel/redis';
import { tokenBucket } from '@keel/resilience';
import { ManualClock } from '@keel/core';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { listen } from '../internal/loopback.fixture.js';
import { compose } from './middleware.js';
import { rateLimit } from './rateLimit.js';

const up = await serviceAvailable('redis');

describe.runIf(up)('rateLimit on the Redis store', () => {
  const prefix = `${uniqueName('http_rate')}:`;
  // Lazy and listened to: a suite skipped (Redis down) is still collected, and must print nothing.
  const client = new Redis(serviceUrl('redis'), { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => undefined);
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('shares one quota between two servers, as two gateway replicas would', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const limit = () =>
      rateLimit({
        algorithm: tokenBucket({ capacity: 2, refillPerSecond: 1 }),
        store: new RedisRateLimitStore(client, { prefix }),
        key: () => 'client-1',
        clock,
      });
    const ok = compose([limit()], (_req, res) => void res.end('ok'));
    const a = await listen(ok);
    const b = await listen(compose([limit()], (_req, res) => void res.end('ok')));
    try {
      const statuses = [(await fetch(a.url)).status, (await fetch(b.url)).status];
      const third = await fetch(a.url);
      expect([...statuses, third.status, third.headers.get('retry-after')]).toEqual([200, 200, 429, '1']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
