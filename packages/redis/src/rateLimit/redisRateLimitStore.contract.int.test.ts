import { rateLimitStoreContract } from '@keel/resilience/testing';
import { serviceAvailable } from '@keel/test-services';
import { afterAll, describe } from 'vitest';
import { redisTestKit } from '../internal/redisTestKit.fixture.js';
import { RedisRateLimitStore } from './redisRateLimitStore.js';

const up = await serviceAvailable('redis');

describe.runIf(up)('RedisRateLimitStore on a real server', () => {
  const kit = redisTestKit('keel_rl_contract');
  const client = kit.connect();
  let stores = 0;
  afterAll(() => kit.cleanup());

  // A prefix per store: every test starts with no keys, on one shared server.
  rateLimitStoreContract(
    'RedisRateLimitStore',
    () => new RedisRateLimitStore(client, { prefix: `${kit.prefix}contract${stores++}:` }),
  );
});
