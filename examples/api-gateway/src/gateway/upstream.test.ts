import { runWithRequestContext } from '@keel/http';
import { afterEach, describe, expect, it } from 'vitest';
import { isBrokenCircuitError, seededRandom } from '@keel/resilience';
import { startReplica } from '../backends/replica.js';
import type { Replica } from '../backends/replica.js';
import { ordersRoutes, usersRoutes } from '../backends/services.js';
import type { RequestContext } from './requestContext.js';
import { ServiceUpstream } from './upstream.js';
import type { UpstreamOptions } from './upstream.js';

const replicas: Replica[] = [];
const FAST: UpstreamOptions = { backoffMs: 1, maxRetries: 3, outlierDetection: false, breakerFailures: 50 };

async function replica(id: string, failureRate = 0, service: 'users' | 'orders' = 'users'): Promise<Replica> {
  const routes = service === 'users' ? usersRoutes() : ordersRoutes();
  const started = await startReplica({ service, id, routes, behaviour: { failureRate } });
  replicas.push(started);
  return started;
}

function upstream(name: string, targets: Replica[], options: UpstreamOptions = FAST): ServiceUpstream {
  return new ServiceUpstream(name, targets, { ...FAST, ...options });
}

function context(): RequestContext {
  return {
    requestId: 'req-1',
    correlationId: 'corr-1',
    clientId: 'mobile-app',
    claims: undefined,
    signal: new AbortController().signal,
    attempts: [],
  };
}

afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.close()));
});

describe('ServiceUpstream (on @keel/http createUpstream)', () => {
  it('retries 503s until outlier detection ejects the failing replica, then answers from the other', async () => {
    // Retries may land on the failing replica again; with as many retries as the ejection
    // threshold, ejection always frees a healthy replica before the attempts run out.
    const users = upstream('users', [await replica('users-1', 1), await replica('users-2')], {
      strategy: 'least-connections',
      random: seededRandom(3),
      outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 60_000 },
    });
    const ctx = context();
    for (let i = 0; i < 5; i++) {
      const response = await users.request(ctx, { path: '/users/ada' });
      expect([response.status, response.endpointId]).toEqual([200, 'users-2']);
    }
    expect(ctx.attempts.filter((a) => a.outcome !== '200').every((a) => a.replica === 'users-1')).toBe(true);
    expect(users.stats().find((s) => s.id === 'users-1')?.ejected).toBe(true);
  });

  it('returns a 404 as an answer without retrying it', async () => {
    const only = await replica('users-1');
    const response = await upstream('users', [only]).request(context(), { path: '/users/nobody' });
    expect(response.status).toBe(404);
    expect(only.received).toHaveLength(1);
  });

  it('attempts a POST without an idempotency key only once and hands back its 503', async () => {
    const only = await replica('orders-1', 1, 'orders');
    const response = await upstream('orders', [only]).request(context(), {
      method: 'POST',
      path: '/orders',
      body: {},
    });
    expect(response.status).toBe(503);
    expect(only.received).toHaveLength(1);
  });

  it('retries a POST that carries an idempotency key', async () => {
    const only = await replica('orders-1', 1, 'orders');
    const call = upstream('orders', [only]).request(context(), {
      method: 'POST',
      path: '/orders',
      body: {},
      idempotencyKey: 'k-1',
    });
    expect((await call).status).toBe(503);
    expect(only.received).toHaveLength(4);
  });

  it('sends the request, correlation and client ids to the backend', async () => {
    const only = await replica('users-1');
    // The correlation id comes from @keel/http's request context (what correlation() sets up).
    await runWithRequestContext({ correlationId: 'corr-1', traceContext: {} }, () =>
      upstream('users', [only]).request(context(), { path: '/users/ada' }),
    );
    expect(only.received[0]).toMatchObject({
      requestId: 'req-1',
      correlationId: 'corr-1',
      clientId: 'mobile-app',
    });
  });

  it('opens the circuit after consecutive failures and then refuses without calling the backend', async () => {
    const only = await replica('users-1', 1);
    const users = upstream('users', [only], { breakerFailures: 2, breakMs: 60_000 });
    await expect(users.request(context(), { path: '/users/ada' })).rejects.toSatisfy(isBrokenCircuitError);
    expect(only.received).toHaveLength(2);
    await expect(users.request(context(), { path: '/users/ada' })).rejects.toSatisfy(isBrokenCircuitError);
    expect(only.received).toHaveLength(2);
    expect(users.breaker.state).toBe('open');
  });

  it('ejects a replica that keeps failing so later calls skip it', async () => {
    const bad = await replica('users-1', 1);
    const users = upstream('users', [bad, await replica('users-2')], {
      strategy: 'least-connections',
      random: seededRandom(5),
      outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 60_000, maxEjectedFraction: 0.5 },
    });
    for (let i = 0; i < 10; i++) await users.request(context(), { path: '/users/ada' });
    expect(users.stats().find((s) => s.id === 'users-1')?.ejected).toBe(true);
    expect(bad.received.length).toBeLessThanOrEqual(2);
  });
});
