import { serviceAvailable } from '@keel/test-services';
import { describe } from 'vitest';
import { redisTestKit } from '../internal/redisTestKit.fixture.js';
import { describeRedisLock } from './redisLock.suite.js';

const up = await serviceAvailable('redis');

// The same suite runs on a Redis Cluster in src/cluster/redisCluster.int.test.ts, and through a
// failover in src/cluster/redisCluster.failover.int.test.ts.
describe.runIf(up)('RedisLock on a real server', () => {
  describeRedisLock(redisTestKit('keel_lock'));
});
