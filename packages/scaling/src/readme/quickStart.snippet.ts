import { AutoScaler, LoadBalancer, LruCache, ShardRouter } from '@keel/scaling';

const lb = new LoadBalancer([
  { id: 'a', value: 'http://10.0.0.1' },
  { id: 'b', value: 'http://10.0.0.2' },
]);
const res = await lb.execute((base, { signal }) => fetch(`${base}/users/7`, { signal }));
console.log(res.status); // 200, from whichever endpoint the balancer picked

const router = new ShardRouter(['db-1', 'db-2', 'db-3'], { replicationFactor: 2 });
console.log(router.preferenceList('order-42')); // two distinct shards, e.g. [ 'db-2', 'db-3' ]
const plan = router.planRebalance({ add: ['db-4'] }, ['order-1', 'order-42']);
console.log(plan.movedFraction); // ≈ 0.25 of the keys would move to db-4

const cache = new LruCache<string, string>({ max: 10_000, ttl: 60_000 });
cache.set('user:7', 'Ada');
console.log(cache.get('user:7')); // Ada

const scaler = new AutoScaler({ minReplicas: 2, maxReplicas: 20 });
const { replicas } = scaler.evaluate([{ name: 'cpu', current: 0.9, target: 0.6 }]);
console.log(replicas); // 3: 2 replicas × 0.9 / 0.6
