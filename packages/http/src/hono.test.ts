import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { ManualClock } from '@keel/core';
import { InMemoryIdempotencyStore } from '@keel/cqrs';
import { tokenBucket } from '@keel/resilience';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { z } from 'zod';
import { currentRequestContext } from './context/requestContext.js';
import { EXPECTED_SCENARIO, runScenario } from './internal/adapterScenarios.fixture.js';
import {
  authorize,
  correlation,
  idempotencyKey,
  jwtAuth,
  principalOf,
  rateLimit,
  validate,
  validatedOf,
} from './hono.js';

describe('@keel/http/hono', () => {
  it('refuses a correlation clock without now', () => {
    expect(() => correlation({ clock: {} as never })).toThrow(/clock: must be a Clock \(with now\)/);
    expect(() => correlation({ clock: new ManualClock(0) })).not.toThrow();
  });

  it('runs rate limit, idempotency, validation and correlation in a real Hono app', async () => {
    const app = new Hono();
    let orders = 0;
    app.post(
      '/orders',
      correlation(),
      rateLimit({
        algorithm: tokenBucket({ capacity: 3, refillPerSecond: 1 }),
        key: () => 'all',
        clock: new ManualClock(),
      }),
      idempotencyKey({ store: new InMemoryIdempotencyStore() }),
      validate({ body: z.object({ sku: z.string().min(1) }) }),
      (c) => {
        const { sku } = validatedOf<{ sku: string }>(c).body;
        return c.json({ order: ++orders, sku, correlationId: currentRequestContext()?.correlationId }, 201);
      },
    );
    const send: typeof fetch = async (input, init) => app.request(String(input), init);
    expect(await runScenario('http://hono.test', send)).toEqual(EXPECTED_SCENARIO);
  });

  it('verifies a JWT and applies the route authorization hook', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
    const app = new Hono();
    app.get(
      '/me',
      jwtAuth({ jwks }),
      authorize((claims) => claims.sub !== 'mallory'),
      (c) => c.text(String(principalOf(c)?.sub)),
    );
    const sign = (sub: string) =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setExpirationTime('1h')
        .sign(privateKey);
    const ada = await app.request('/me', { headers: { authorization: `Bearer ${await sign('ada')}` } });
    const mallory = await app.request('/me', {
      headers: { authorization: `Bearer ${await sign('mallory')}` },
    });
    const none = await app.request('/me');
    expect([await ada.text(), mallory.status, none.status]).toEqual(['ada', 403, 401]);
  });
});

describe('@keel/http/hono rateLimit over node:http', () => {
  it('limits by the socket address by default, whatever X-Forwarded-For says', async () => {
    const app = new Hono();
    app.use(rateLimit({ algorithm: tokenBucket({ capacity: 2, refillPerSecond: 0.001 }) }));
    app.get('/', (c) => c.text('ok'));
    // Serves the app the way @hono/node-server does: node's request as c.env.incoming.
    const server = createServer((incoming, outgoing) => {
      const request = new Request(`http://127.0.0.1${incoming.url ?? '/'}`, {
        headers: incoming.headers as Record<string, string>,
      });
      void Promise.resolve(app.fetch(request, { incoming, outgoing })).then(async (response) => {
        outgoing.writeHead(response.status, Object.fromEntries(response.headers));
        outgoing.end(Buffer.from(await response.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await fetch(url, { headers: { 'x-forwarded-for': `10.0.0.${i}` } })).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
