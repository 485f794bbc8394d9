import type { SrvRecord } from 'node:dns';
import { isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { listen } from '../internal/loopback.fixture.js';
import { kubernetesDiscovery, srvDiscovery } from './discoverySources.js';
import { createUpstream } from './upstream.js';
import type { EndpointSliceLike } from './discoverySources.js';

const signal = new AbortController().signal;
const srv = (name: string, port: number, priority: number, weight: number): SrvRecord => ({
  name,
  port,
  priority,
  weight,
});

describe('srvDiscovery', () => {
  it('turns the lowest-priority SRV records into weighted endpoints', async () => {
    const records = [
      srv('a.orders.local.', 8080, 10, 60),
      srv('b.orders.local', 8081, 10, 0),
      srv('backup.local', 9000, 20, 100),
    ];
    const asked: string[] = [];
    const discover = srvDiscovery('_http._tcp.orders.local', {
      resolveSrv: async (name) => (asked.push(name), records),
    });
    expect(await discover(signal)).toEqual([
      { id: 'a.orders.local.:8080', url: 'http://a.orders.local:8080', weight: 60 },
      { id: 'b.orders.local:8081', url: 'http://b.orders.local:8081', weight: 1 },
    ]);
    expect(asked).toEqual(['_http._tcp.orders.local']);
  });

  it('uses the scheme asked for, and finds nothing when there are no records', async () => {
    const discover = srvDiscovery('_https._tcp.api', {
      scheme: 'https',
      resolveSrv: async () => [srv('api', 443, 0, 5)],
    });
    expect((await discover(signal))[0]?.url).toBe('https://api:443');
    expect(await srvDiscovery('x', { resolveSrv: async () => [] })(signal)).toEqual([]);
  });

  it('refuses an aborted signal and bad options', async () => {
    await expect(
      srvDiscovery('x', { resolveSrv: async () => [] })(AbortSignal.abort(new Error('gone'))),
    ).rejects.toThrow('gone');
    expect(() => srvDiscovery('', { scheme: 'ftp' as never })).toThrow(/name[\s\S]*scheme/);
    let error: unknown;
    try {
      srvDiscovery('x', { resolveSrv: 'dns' as never });
    } catch (caught) {
      error = caught;
    }
    expect(isValidationError(error)).toBe(true);
  });
});

describe('kubernetesDiscovery', () => {
  const slice: EndpointSliceLike = {
    ports: [
      { name: 'metrics', port: 9090 },
      { name: 'http', port: 8080 },
    ],
    endpoints: [
      { addresses: ['10.0.0.7'], conditions: { ready: true }, targetRef: { name: 'orders-7f9c' } },
      { addresses: ['10.0.0.8'], conditions: { ready: false } },
      { addresses: ['10.0.0.9'], conditions: { ready: true, terminating: true } },
      { addresses: ['fd00::5'], conditions: {} },
    ],
  };

  it('keeps the ready, not terminating addresses on the named port', async () => {
    const discover = kubernetesDiscovery(async () => [slice], { port: 'http' });
    expect(await discover(signal)).toEqual([
      { id: 'orders-7f9c', url: 'http://10.0.0.7:8080' },
      { id: 'fd00::5:8080', url: 'http://[fd00::5]:8080' },
    ]);
  });

  it('takes the first port by default and skips slices without that port', async () => {
    const discover = kubernetesDiscovery(async () => [
      slice,
      { endpoints: slice.endpoints ?? [], ports: [] },
    ]);
    expect((await discover(signal)).map((endpoint) => endpoint.url)).toEqual([
      'http://10.0.0.7:9090',
      'http://[fd00::5]:9090',
    ]);
  });

  it('refuses a missing list function', () => {
    expect(() => kubernetesDiscovery(undefined as never)).toThrow(/list/);
  });
});

describe('an upstream fed by SRV discovery', () => {
  it('sends requests to the endpoints the records name', async () => {
    const server = await listen(
      (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    );
    const { hostname, port } = new URL(server.url);
    const api = createUpstream('orders', {
      discover: srvDiscovery('_http._tcp.orders', {
        resolveSrv: async () => [srv(hostname, Number(port), 0, 1)],
      }),
    });
    try {
      const response = await api.request({ path: '/' });
      expect([response.status, response.json()]).toEqual([200, { ok: true }]);
    } finally {
      await api.close();
      await server.close();
    }
  });
});
