import { serviceAvailable } from '@keel/test-services';
import { describe } from 'vitest';
import { redisTestKit } from '../internal/redisTestKit.fixture.js';
import { describeRedisRateLimitStore } from './redisRateLimitStore.suite.js';

const up = await serviceAvailable('redis');

// The same suite runs on a Redis Cluster in src/cluster/redisCluster.int.test.ts.
describe.runIf(up)('RedisRateLimitStore on a real server', () => {
  describeRedisRateLimitStore(redisTestKit('keel_rl'));
});
