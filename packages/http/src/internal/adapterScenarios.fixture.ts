import { ManualClock } from '@keel/core';
import { InMemoryIdempotencyStore } from '@keel/cqrs';
import { tokenBucket } from '@keel/resilience';
import { z } from 'zod';
import { correlation } from '../server/correlation.js';
import { idempotencyKey } from '../server/idempotency.js';
import type { HttpMiddleware } from '../server/middleware.js';
import { rateLimit } from '../server/rateLimit.js';
import { validate } from '../server/validation.js';

/** The middleware every framework test mounts, in this order. */
export function scenarioMiddleware(): HttpMiddleware[] {
  return [
    correlation(),
    rateLimit({
      algorithm: tokenBucket({ capacity: 3, refillPerSecond: 1 }),
      key: () => 'all',
      clock: new ManualClock(),
    }),
    idempotencyKey({ store: new InMemoryIdempotencyStore() }),
    validate({ body: z.object({ sku: z.string().min(1) }) }),
  ];
}

/** Sends the scenario: a valid order twice with one key, an invalid order, then one too many. */
export async function runScenario(url: string, send: typeof fetch = fetch) {
  const post = (body: unknown, key?: string) =>
    send(`${url}/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-correlation-id': 'corr-1',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: JSON.stringify(body),
    });
  const first = await post({ sku: 'a' }, 'k1');
  const replay = await post({ sku: 'a' }, 'k1');
  const invalid = await post({ sku: '' });
  const limited = await post({ sku: 'b' });
  return {
    first: {
      status: first.status,
      body: await first.text(),
      ratelimit: first.headers.get('ratelimit'),
      correlation: first.headers.get('x-correlation-id'),
    },
    replay: {
      status: replay.status,
      body: await replay.text(),
      replayed: replay.headers.get('idempotent-replayed'),
    },
    invalid: { status: invalid.status, type: invalid.headers.get('content-type') },
    limited: { status: limited.status, retryAfter: limited.headers.get('retry-after') },
  };
}

/** What every framework must produce for {@link runScenario}. */
export const EXPECTED_SCENARIO = {
  first: {
    status: 201,
    body: '{"order":1,"sku":"a","correlationId":"corr-1"}',
    ratelimit: '"default";r=2;t=1',
    correlation: 'corr-1',
  },
  replay: { status: 201, body: '{"order":1,"sku":"a","correlationId":"corr-1"}', replayed: 'true' },
  invalid: { status: 400, type: 'application/problem+json' },
  limited: { status: 429, retryAfter: '1' },
};
