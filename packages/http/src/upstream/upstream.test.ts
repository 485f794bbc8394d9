import { afterEach, describe, expect, it } from 'vitest';
import { isTimeoutError, isValidationError, ManualClock } from '@keel/core';
import { constantBackoff, retryBudget } from '@keel/resilience';
import { isNoEndpointAvailableError, roundRobin } from '@keel/scaling';
import { answer, hang, startServer } from '../internal/loopback.fixture.js';
import type { LoopbackServer } from '../internal/loopback.fixture.js';
import { createUpstream } from './upstream.js';
import type { UpstreamEvent } from './upstream.js';

const servers: LoopbackServer[] = [];
async function server(handler: Parameters<typeof startServer>[0]): Promise<LoopbackServer> {
  const started = await startServer(handler);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const quick = { backoff: constantBackoff(0), strategy: roundRobin };

describe('Upstream over loopback HTTP', () => {
  it('spreads calls over its endpoints with the chosen strategy', async () => {
    const a = await server(answer('a'));
    const b = await server(answer('b'));
    const users = createUpstream('users', { ...quick, endpoints: [{ url: a.url }, { url: b.url }] });
    const froms = [];
    for (let i = 0; i < 4; i++)
      froms.push((await users.request({ path: '/u/1' })).json<{ from: string }>().from);
    expect(froms.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('retries a GET that got 503 on another endpoint and returns the good answer', async () => {
    const bad = await server(answer('bad', 503));
    const good = await server(answer('good'));
    const users = createUpstream('users', { ...quick, endpoints: [{ url: bad.url }, { url: good.url }] });
    const res = await users.request({ path: '/u/1' });
    expect([res.status, res.json(), res.attempts]).toEqual([200, { from: 'good' }, 2]);
  });

  it('returns the last failing answer when retries run out', async () => {
    const bad = await server(answer('bad', 502));
    const users = createUpstream('users', { ...quick, maxRetries: 2, endpoints: [{ url: bad.url }] });
    const res = await users.request({ path: '/' });
    expect([res.status, res.attempts, bad.seen.length]).toEqual([502, 3, 3]);
  });

  it('sends a POST once when it got 503', async () => {
    const bad = await server(answer('bad', 503));
    const orders = createUpstream('orders', { ...quick, endpoints: [{ url: bad.url }] });
    const res = await orders.request({ method: 'POST', path: '/orders', json: { sku: 'x' } });
    expect([res.status, bad.seen.length, bad.seen[0]?.body]).toEqual([503, 1, '{"sku":"x"}']);
  });

  it('retries a POST that carries an Idempotency-Key', async () => {
    const bad = await server(answer('bad', 503));
    const orders = createUpstream('orders', { ...quick, maxRetries: 1, endpoints: [{ url: bad.url }] });
    await orders.request({ method: 'POST', path: '/orders', headers: { 'idempotency-key': 'k1' } });
    expect(bad.seen.map((r) => r.headers['idempotency-key'])).toEqual(['k1', 'k1']);
  });

  it('retries a POST whose connection was refused, since it never reached a server', async () => {
    const gone = await server(answer('gone'));
    await gone.close();
    const good = await server(answer('good'));
    const orders = createUpstream('orders', { ...quick, endpoints: [{ url: gone.url }, { url: good.url }] });
    const res = await orders.request({ method: 'POST', path: '/orders' });
    expect([res.status, good.seen.length]).toEqual([200, 1]);
  });

  it('waits as long as Retry-After asks before retrying', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const limited = await server((req, res) =>
      calls++ === 0 ? answer('x', 429, { 'retry-after': '2' })(req, res, '') : answer('x')(req, res, ''),
    );
    const api = createUpstream('api', { ...quick, clock, endpoints: [{ url: limited.url }] });
    const retried = new Promise<UpstreamEvent>((resolve) =>
      api.onEvent((e) => e.kind === 'retry' && resolve(e)),
    );
    const pending = api.request({ path: '/' });
    expect(await retried).toEqual({ kind: 'retry', attempt: 2, delayMs: 2_000 });
    clock.advance(2_000);
    expect((await pending).status).toBe(200);
  });

  it('ends a hanging attempt at the per-try timeout and retries elsewhere', async () => {
    const clock = new ManualClock();
    const slow = await server(hang);
    const fast = await server(answer('fast'));
    const api = createUpstream('api', {
      ...quick,
      clock,
      timeoutMs: 500,
      endpoints: [{ url: slow.url }, { url: fast.url }],
    });
    const retried = new Promise((resolve) => api.onEvent((e) => e.kind === 'retry' && resolve(e)));
    const pending = api.request({ path: '/' });
    await slow.nextRequest();
    clock.advance(500);
    await retried;
    await new Promise(setImmediate);
    clock.advance(0); // the retry's (zero) backoff sleeps on the manual clock too
    const res = await pending;
    expect([res.json(), res.attempts]).toEqual([{ from: 'fast' }, 2]);
  });

  it('fails with a TimeoutError when the whole call runs out of time', async () => {
    const clock = new ManualClock();
    const slow = await server(hang);
    const api = createUpstream('api', {
      ...quick,
      clock,
      totalTimeoutMs: 1_000,
      endpoints: [{ url: slow.url }],
    });
    const pending = api.request({ path: '/' });
    await slow.nextRequest();
    clock.advance(1_000);
    await expect(pending).rejects.toSatisfy(isTimeoutError);
  });

  it('hedges a slow read on another endpoint and takes the first answer', async () => {
    const clock = new ManualClock();
    const slow = await server(hang);
    const fast = await server(answer('fast'));
    const api = createUpstream('api', {
      ...quick,
      clock,
      hedge: { delayMs: 50 },
      endpoints: [{ url: slow.url }, { url: fast.url }],
    });
    const pending = api.request({ path: '/' });
    await slow.nextRequest();
    clock.advance(50);
    const res = await pending;
    expect([res.json(), res.endpointId]).toEqual([{ from: 'fast' }, fast.url]);
  });

  it('ejects an endpoint that keeps answering 5xx and stops sending to it', async () => {
    const bad = await server(answer('bad', 500));
    const good = await server(answer('good'));
    const events: UpstreamEvent[] = [];
    const api = createUpstream('api', {
      ...quick,
      retryStatuses: [],
      outlierDetection: { consecutiveFailures: 2, maxEjectedFraction: 0.5 },
      endpoints: [{ url: bad.url }, { url: good.url }],
    });
    api.onEvent((event) => events.push(event));
    for (let i = 0; i < 8; i++) await api.request({ path: '/' });
    expect([bad.seen.length, good.seen.length]).toEqual([2, 6]);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'ejected', endpoint: bad.url }));
  });

  it('counts an answer slower than slowCallMs against its endpoint', async () => {
    const clock = new ManualClock();
    let release = (): void => {};
    const slowish = await server((req, res) => {
      release = () => answer('slow')(req, res, '');
    });
    const other = await server(answer('other'));
    const api = createUpstream('api', {
      ...quick,
      clock,
      slowCallMs: 100,
      outlierDetection: { consecutiveFailures: 1, maxEjectedFraction: 0.5 },
      endpoints: [{ url: slowish.url }, { url: other.url }],
    });
    const pending = api.request({ path: '/' });
    await slowish.nextRequest();
    clock.advance(150);
    release();
    expect((await pending).status).toBe(200);
    expect(api.stats().find((s) => s.id === slowish.url)?.ejected).toBe(true);
  });

  it('gives no retry once the retry budget is spent', async () => {
    const bad = await server(answer('bad', 503));
    const budget = retryBudget({ ratio: 0, minRetries: 1 });
    const api = createUpstream('api', { ...quick, budget, maxRetries: 3, endpoints: [{ url: bad.url }] });
    await api.request({ path: '/' });
    await api.request({ path: '/' });
    expect(bad.seen.length).toBe(3);
  });

  it('throws NoEndpointAvailableError when it has no endpoint', async () => {
    const api = createUpstream('api', { endpoints: [] });
    await expect(api.request({ path: '/' })).rejects.toSatisfy(isNoEndpointAvailableError);
  });

  it('refuses bad options, listing every one', () => {
    expect(() => createUpstream('api', { timeoutMs: -1, maxRetries: 1.5 })).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([expect.objectContaining({ path: ['timeoutMs'] })]),
      }),
    );
    expect(() => createUpstream('api', {})).toSatisfy((fn: () => unknown) => {
      try {
        fn();
        return false;
      } catch (error) {
        return isValidationError(error) && error.issues.some((i) => i.path[0] === 'endpoints');
      }
    });
  });

  it('stops before sending when the caller signal is already aborted', async () => {
    const a = await server(answer('a'));
    const api = createUpstream('api', { endpoints: [{ url: a.url }] });
    const reason = new Error('caller left');
    await expect(api.request({ path: '/', signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(a.seen).toHaveLength(0);
  });

  it('sends through an injected fetch', async () => {
    const urls: string[] = [];
    const fake: typeof fetch = async (input) => {
      urls.push(String(input));
      return new Response('hi', { status: 200 });
    };
    const api = createUpstream('api', { fetch: fake, endpoints: [{ url: 'http://users.internal' }] });
    expect((await api.request({ path: '/a?b=1' })).text()).toBe('hi');
    expect(urls).toEqual(['http://users.internal/a?b=1']);
  });

  it('counts a call the caller aborted mid-flight neither for nor against its endpoint', async () => {
    const slow = await server(hang);
    const api = createUpstream('api', { endpoints: [{ url: slow.url }] });
    const caller = new AbortController();
    const pending = api.request({ path: '/', signal: caller.signal });
    await slow.nextRequest();
    caller.abort(new Error('user navigated away'));
    await expect(pending).rejects.toThrow('user navigated away');
    expect(api.stats()[0]).toMatchObject({ requests: 0, failures: 0, inFlight: 0 });
  });

  it('runs concurrent calls over the endpoints without losing one', async () => {
    const a = await server(answer('a'));
    const b = await server(answer('b'));
    const api = createUpstream('api', { endpoints: [{ url: a.url }, { url: b.url }] });
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.request({ path: '/' })));
    expect([answers.every((r) => r.ok), a.seen.length + b.seen.length]).toEqual([true, 20]);
  });
});
