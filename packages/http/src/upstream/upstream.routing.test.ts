import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@keel/core';
import { seededRandom } from '@keel/resilience';
import { runWithRequestContext } from '../context/requestContext.js';
import { answer, startServer } from '../internal/loopback.fixture.js';
import type { LoopbackServer } from '../internal/loopback.fixture.js';
import { createUpstream } from './upstream.js';
import type { UpstreamEvent } from './upstream.js';
import type { UpstreamEndpoint } from './endpointPools.js';

const servers: LoopbackServer[] = [];
async function server(name: string): Promise<LoopbackServer> {
  const started = await startServer(answer(name));
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('Upstream routing between versions', () => {
  it('splits calls 90/10 between stable and canary by weight', async () => {
    const stable = await server('stable');
    const canary = await server('canary');
    const api = createUpstream('api', {
      random: seededRandom(7),
      versions: { weights: { stable: 90, canary: 10 } },
      endpoints: [{ url: stable.url }, { url: canary.url, version: 'canary' }],
    });
    for (let i = 0; i < 200; i++) await api.request({ path: '/' });
    expect(canary.seen.length).toBeGreaterThan(8);
    expect(canary.seen.length).toBeLessThan(35);
    expect(stable.seen.length + canary.seen.length).toBe(200);
  });

  it('sends a call whose header names a version to that version', async () => {
    const stable = await server('stable');
    const canary = await server('canary');
    const api = createUpstream('api', {
      versions: { weights: { stable: 100 }, header: 'x-version' },
      endpoints: [{ url: stable.url }, { url: canary.url, version: 'canary' }],
    });
    const res = await api.request({ path: '/', headers: { 'x-version': 'canary' } });
    expect([res.json(), res.version]).toEqual([{ from: 'canary' }, 'canary']);
  });

  it('falls back to the weights when the header names a version without endpoints', async () => {
    const stable = await server('stable');
    const api = createUpstream('api', {
      versions: { header: 'x-version' },
      endpoints: [{ url: stable.url }],
    });
    const res = await api.request({ path: '/', headers: { 'x-version': 'nightly' } });
    expect(res.version).toBe('stable');
  });
});

describe('Upstream discovery', () => {
  it('polls a discovery function on the clock and routes to what it finds', async () => {
    const clock = new ManualClock();
    const first = await server('first');
    const second = await server('second');
    let found: UpstreamEndpoint[] = [{ url: first.url }];
    const api = createUpstream('api', { clock, discoveryIntervalMs: 5_000, discover: async () => found });
    expect((await api.request({ path: '/' })).json()).toEqual({ from: 'first' });
    found = [{ url: second.url }];
    const discovered = new Promise((resolve) => api.onEvent((e) => e.kind === 'discovered' && resolve(e)));
    clock.advance(5_000);
    await discovered;
    expect((await api.request({ path: '/' })).json()).toEqual({ from: 'second' });
    await api.close();
  });

  it('keeps the last endpoints when discovery fails, and reports the failure', async () => {
    const clock = new ManualClock();
    const only = await server('only');
    let fail = false;
    const api = createUpstream('api', {
      clock,
      discover: async () => {
        if (fail) throw new Error('SRV lookup timed out');
        return [{ id: 'only', url: only.url }];
      },
    });
    await api.request({ path: '/' });
    fail = true;
    const failed = new Promise<UpstreamEvent>((resolve) =>
      api.onEvent((e) => e.kind === 'discovery-failed' && resolve(e)),
    );
    await expect(api.refresh()).rejects.toThrow(/last known endpoints stay in use/);
    await failed;
    expect((await api.request({ path: '/' })).endpointId).toBe('only');
    await api.close();
  });

  it('stops polling once closed', async () => {
    const clock = new ManualClock();
    const only = await server('only');
    let calls = 0;
    const api = createUpstream('api', {
      clock,
      discoveryIntervalMs: 1_000,
      discover: async () => (calls++, [{ url: only.url }]),
    });
    await api.request({ path: '/' });
    await api.close();
    clock.advance(10_000);
    await new Promise(setImmediate);
    expect(calls).toBe(1);
  });

  it('takes endpoints pushed by a watch through setEndpoints', async () => {
    const a = await server('a');
    const b = await server('b');
    const api = createUpstream('api', { endpoints: [{ url: a.url }] });
    api.setEndpoints([{ url: b.url }]);
    expect((await api.request({ path: '/' })).json()).toEqual({ from: 'b' });
    expect(api.stats().map((s) => s.id)).toEqual([b.url]);
  });
});

describe('Upstream propagation', () => {
  it('sends the current request context as correlation id and traceparent headers', async () => {
    const target = await server('t');
    const api = createUpstream('api', { endpoints: [{ url: target.url }] });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await runWithRequestContext({ correlationId: 'corr-1', traceContext: { traceparent } }, () =>
      api.request({ path: '/' }),
    );
    expect(target.seen[0]?.headers['x-correlation-id']).toBe('corr-1');
    expect(target.seen[0]?.headers.traceparent).toBe(traceparent);
  });

  it('keeps a correlation id the call sets itself', async () => {
    const target = await server('t');
    const api = createUpstream('api', { endpoints: [{ url: target.url }] });
    await runWithRequestContext({ correlationId: 'ctx', traceContext: {} }, () =>
      api.request({ path: '/', headers: { 'x-correlation-id': 'mine' } }),
    );
    expect(target.seen[0]?.headers['x-correlation-id']).toBe('mine');
  });
});
