import { serviceAvailable } from '@keel/test-services';
import { describe } from 'vitest';
import { redisTestKit } from '../internal/redisTestKit.fixture.js';
import { describeRedisCacheStore } from './redisCacheStore.suite.js';

const up = await serviceAvailable('redis');

// The same suite runs on a Redis Cluster in src/cluster/redisCluster.int.test.ts.
describe.runIf(up)('RedisCacheStore on a real server', () => {
  describeRedisCacheStore(redisTestKit('keel_cache'));
});
