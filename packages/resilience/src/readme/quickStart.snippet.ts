import { circuitBreaker, exponentialBackoff, pipeline, retry, timeout } from '@keel/resilience';

const resilient = pipeline(
  retry({ maxRetries: 3, backoff: exponentialBackoff(200, { jitter: 'full' }) }),
  circuitBreaker({ breakDuration: 10_000 }),
  timeout(2_000),
);

const order = await resilient.execute(async ({ signal }) => {
  const res = await fetch('https://api.example.com/orders/42', { signal });
  if (res.status >= 500) throw new Error(`Upstream answered ${res.status}`);
  return res.json();
});
console.log(order);
