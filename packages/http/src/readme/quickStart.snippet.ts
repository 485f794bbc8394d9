import { createServer } from 'node:http';
import { InMemoryIdempotencyStore } from '@keel/cqrs';
import { tokenBucket } from '@keel/resilience';
import { compose, correlation, createUpstream, idempotencyKey, rateLimit } from '@keel/http';

const orders = createUpstream('orders', {
  endpoints: [{ url: 'http://10.0.0.1:8080' }, { url: 'http://10.0.0.2:8080', version: 'canary' }],
  versions: { weights: { stable: 90, canary: 10 }, header: 'x-version' },
  timeoutMs: 500,
});
const limits = rateLimit({ algorithm: tokenBucket({ capacity: 100, refillPerSecond: 10 }) });
const store = new InMemoryIdempotencyStore();
export const server = createServer(
  compose([correlation(), limits, idempotencyKey({ store })], async (req, res) => {
    const answer = await orders.request({ method: req.method, path: req.url ?? '/' });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  }),
).listen(Number(process.env.PORT ?? 3000));
