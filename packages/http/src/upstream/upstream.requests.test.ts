import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTimeoutError, isValidationError, ManualClock } from '@keel/core';
import { constantBackoff } from '@keel/resilience';
import { answer, listen, startServer } from '../internal/loopback.fixture.js';
import type { LoopbackServer } from '../internal/loopback.fixture.js';
import { createUpstream } from './upstream.js';

const closers: (() => Promise<void>)[] = [];
async function server(handler: Parameters<typeof startServer>[0]): Promise<LoopbackServer> {
  const started = await startServer(handler);
  closers.push(() => started.close());
  return started;
}
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const quick = { backoff: constantBackoff(0), budget: false as const };
const portOf = (url: string) => new URL(url).port;

describe('Upstream paths stay on the endpoint', () => {
  it('sends a path starting with "//" to the endpoint, not to the host it names', async () => {
    const endpoint = await server(answer('endpoint'));
    const other = await server(answer('other'));
    const api = createUpstream('api', { ...quick, endpoints: [{ url: endpoint.url }] });
    const res = await api.request({ path: `//127.0.0.1:${portOf(other.url)}/secret` });
    expect([res.json(), endpoint.seen[0]?.url, other.seen.length]).toEqual([
      { from: 'endpoint' },
      `//127.0.0.1:${portOf(other.url)}/secret`,
      0,
    ]);
  });

  it('refuses an absolute URL as path with a ValidationError and sends nothing', async () => {
    const endpoint = await server(answer('endpoint'));
    const other = await server(answer('other'));
    const api = createUpstream('api', { ...quick, endpoints: [{ url: endpoint.url }] });
    await expect(api.request({ path: `${other.url}/abs` })).rejects.toSatisfy(isValidationError);
    expect([endpoint.seen.length, other.seen.length, api.stats()[0]?.inFlight]).toEqual([0, 0, 0]);
  });

  it('leases no endpoint for a path that does not parse', async () => {
    const endpoint = await server(answer('endpoint'));
    const api = createUpstream('api', { ...quick, endpoints: [{ url: endpoint.url }] });
    await expect(api.request({ path: 'http://[::1' })).rejects.toSatisfy(isValidationError);
    expect(api.stats()[0]).toMatchObject({ inFlight: 0, requests: 0 });
  });

  it('refuses endpoint URLs that are not absolute http(s) URLs', () => {
    for (const url of ['not a url', '/relative', 'ftp://files.internal', 'http://user:pw@10.0.0.1'])
      expect(() => createUpstream('api', { endpoints: [{ url }] }), url).toThrow(/endpoints\.url/);
    const api = createUpstream('api', { endpoints: [{ url: 'http://10.0.0.1:8080' }] });
    let refused: unknown;
    try {
      api.setEndpoints([{ url: 'orders.internal' }]);
    } catch (error) {
      refused = error;
    }
    expect([isValidationError(refused), api.stats()[0]?.id]).toEqual([true, 'http://10.0.0.1:8080']);
  });
});

describe('Upstream requests fetch cannot send', () => {
  it('refuses TRACE with a ValidationError, unretried and counted against no endpoint', async () => {
    const a = await server(answer('a'));
    const b = await server(answer('b'));
    const api = createUpstream('api', { ...quick, endpoints: [{ url: a.url }, { url: b.url }] });
    const retries = vi.fn();
    api.onEvent((event) => event.kind === 'retry' && retries());
    for (let i = 0; i < 4; i++)
      await expect(api.request({ method: 'TRACE', path: '/' })).rejects.toSatisfy(isValidationError);
    expect(api.stats().map((s) => [s.failures, s.ejected, s.inFlight])).toEqual([
      [0, false, 0],
      [0, false, 0],
    ]);
    expect(retries).not.toHaveBeenCalled();
  });

  it('refuses a body on GET and drops an empty one', async () => {
    const a = await server(answer('a'));
    const api = createUpstream('api', { ...quick, endpoints: [{ url: a.url }] });
    await expect(api.request({ path: '/', body: 'x' })).rejects.toSatisfy(isValidationError);
    expect((await api.request({ path: '/', body: new Uint8Array(0) })).status).toBe(200);
    expect(api.stats()[0]).toMatchObject({ failures: 0, requests: 1 });
  });

  it('drops hop-by-hop request headers instead of failing on them', async () => {
    const a = await server(answer('a'));
    const api = createUpstream('api', { ...quick, maxRetries: 0, endpoints: [{ url: a.url }] });
    const headers = {
      connection: 'Upgrade, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      upgrade: 'websocket',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      trailer: 'x-a',
      'proxy-authorization': 'Basic eA==',
      'x-end-to-end': 'kept',
    };
    expect((await api.request({ path: '/', headers })).status).toBe(200);
    const seen = a.seen[0]?.headers ?? {};
    const hop = ['x-hop', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-authorization'];
    expect([hop.filter((name) => name in seen), seen['x-end-to-end']]).toEqual([[], 'kept']);
  });

  it('counts a request error from fetch against no endpoint and does not retry it', async () => {
    let calls = 0;
    const refusing: typeof fetch = () => {
      calls++;
      return Promise.reject(new TypeError('Request cannot be constructed'));
    };
    const api = createUpstream('api', {
      ...quick,
      fetch: refusing,
      endpoints: [{ url: 'http://a.internal' }],
    });
    await expect(api.request({ path: '/' })).rejects.toThrow(TypeError);
    expect([calls, api.stats()[0]?.failures, api.stats()[0]?.inFlight]).toEqual([1, 0, 0]);
  });
});

describe('Upstream answers are passed on as they are', () => {
  it('returns a redirect with its Location instead of following it', async () => {
    const other = await server(answer('other'));
    const a = await server(
      (_req, res) => void res.writeHead(302, { location: `${other.url}/landing` }).end(),
    );
    const api = createUpstream('api', { ...quick, endpoints: [{ url: a.url, id: 'a' }] });
    const res = await api.request({ method: 'POST', path: '/orders', body: 'payload' });
    expect([res.status, res.headers.get('location'), res.endpointId, other.seen.length]).toEqual([
      302,
      `${other.url}/landing`,
      'a',
      0,
    ]);
  });

  it('relays a gzip answer whose body fetch decoded without its stale encoding headers', async () => {
    const zipped = gzipSync('hello world hello world');
    const a = await server(
      (_req, res) =>
        void res
          .writeHead(200, {
            'content-encoding': 'gzip',
            'content-length': zipped.length,
            'content-type': 'text/plain',
          })
          .end(zipped),
    );
    const api = createUpstream('api', { ...quick, endpoints: [{ url: a.url }] });
    const relayed = (await api.request({ path: '/' })).toResponse();
    expect(
      ['content-encoding', 'content-length', 'connection', 'keep-alive'].map((h) => relayed.headers.get(h)),
    ).toEqual([null, null, null, null]);
    const gateway = await listen(async (_req, res) => {
      const response = (await api.request({ path: '/' })).toResponse();
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    closers.push(() => gateway.close());
    const client = await fetch(gateway.url, { signal: AbortSignal.timeout(5_000) });
    expect(await client.text()).toBe('hello world hello world');
  });
});

describe('Upstream total timeout', () => {
  it('covers the wait for the first discovery', { timeout: 5_000 }, async () => {
    const clock = new ManualClock();
    const api = createUpstream('api', { clock, discover: () => new Promise(() => {}), totalTimeoutMs: 200 });
    const pending = api.request({ path: '/' });
    const outcome = pending.then(
      () => 'answered',
      (error: unknown) => (isTimeoutError(error) ? 'timed out' : String(error)),
    );
    await clock.tickAsync(200);
    expect(await outcome).toBe('timed out');
  });
});

describe('Upstream close', () => {
  it('returns while the first discovery still has not answered', { timeout: 5_000 }, async () => {
    const api = createUpstream('api', { discover: () => new Promise(() => {}) });
    await expect(api.close()).resolves.toBeUndefined();
  });
});
