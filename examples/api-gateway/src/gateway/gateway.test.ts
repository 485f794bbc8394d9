import { isUuid } from '@keel/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem } from '../system.js';
import type { System } from '../system.js';

let system: System;
let token: string;

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const response = await fetch(`${system.gateway.url}${path}`, { headers });
  await response.arrayBuffer();
  return response;
}

beforeAll(async () => {
  system = await startSystem({ topology: { users: [{}], orders: [{}], catalog: [{}] } });
  token = system.token({ sub: 'test-client', user: 'ada', plan: 'partner' });
});

afterAll(() => system.close());

describe('gateway', () => {
  it('answers the health check without a token', async () => {
    expect((await get('/health')).status).toBe(200);
  });

  it('authenticates before routing, so an unknown path without a token is a 401', async () => {
    expect((await get('/admin/secrets')).status).toBe(401);
  });

  it("sends the IETF RateLimit headers of the client's plan with an answer", async () => {
    const response = await get('/mobile/me', { authorization: `Bearer ${token}` });
    expect(response.headers.get('ratelimit-policy')).toBe('"partner";q=100;w=2');
    expect(response.headers.get('ratelimit')).toMatch(/^"partner";r=\d+;t=\d+$/);
  });

  it('answers 422 when an Idempotency-Key is reused with another body', async () => {
    const post = (quantity: number) =>
      fetch(`${system.gateway.url}/mobile/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': 'reused-key',
        },
        body: JSON.stringify({
          productId: 'p-kettle',
          quantity,
          shipTo: { country: 'FR', postcode: '75011' },
        }),
      });
    const first = await post(1);
    await first.arrayBuffer();
    const second = await post(2);
    await second.arrayBuffer();
    expect([first.status, second.status]).toEqual([201, 422]);
  });

  it('keeps Idempotency-Keys per client, so two clients sending the same key place two orders', async () => {
    const other = system.token({ sub: 'other-client', user: 'ada', plan: 'partner' });
    const post = async (bearer: string) => {
      const response = await fetch(`${system.gateway.url}/mobile/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/json',
          'idempotency-key': 'shared-key',
        },
        body: JSON.stringify({
          productId: 'p-kettle',
          quantity: 1,
          shipTo: { country: 'FR', postcode: '75011' },
        }),
      });
      return {
        status: response.status,
        replayed: response.headers.get('idempotent-replayed'),
        body: (await response.json()) as { id: string },
      };
    };
    const first = await post(token);
    const second = await post(other);
    expect([first.status, second.status, second.replayed]).toEqual([201, 201, null]);
    expect(second.body.id).not.toBe(first.body.id);
  });

  it('answers an unknown path with 404 and a wrong method with 405 and Allow', async () => {
    const auth = { authorization: `Bearer ${token}` };
    expect((await get('/mobile/nothing-here', auth)).status).toBe(404);
    const wrong = await fetch(`${system.gateway.url}/web/home`, { method: 'POST', headers: auth });
    await wrong.arrayBuffer();
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'GET']);
  });

  it('keeps a safe incoming request id and correlation id and passes them to the backend', async () => {
    const response = await get('/mobile/me', {
      authorization: `Bearer ${token}`,
      'x-request-id': 'abc-123',
      'x-correlation-id': 'journey-9',
    });
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    expect(response.headers.get('x-correlation-id')).toBe('journey-9');
    expect(system.backends.users[0]!.received.at(-1)).toMatchObject({
      requestId: 'abc-123',
      correlationId: 'journey-9',
      clientId: 'test-client',
    });
  });

  it('replaces an unsafe incoming request id with a fresh UUID', async () => {
    const response = await get('/mobile/me', {
      authorization: `Bearer ${token}`,
      'x-request-id': 'a b<script>',
    });
    const id = response.headers.get('x-request-id')!;
    expect(isUuid(id)).toBe(true);
    expect(response.headers.get('x-correlation-id')).toBe(id);
  });
});
