import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { constantBackoff } from '@keel/resilience';
import { roundRobin } from '@keel/scaling';
import { compose, correlation, createUpstream } from '@keel/http';
import type { HttpHandler } from '@keel/http';
import { otelTestKit } from '../otelTestKit.fixture.js';
import type { OtelTestKit } from '../otelTestKit.fixture.js';

let kit: OtelTestKit;
const closers: (() => void)[] = [];
beforeEach(() => {
  kit = otelTestKit();
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await kit.close();
});

/** A backend on loopback behind `correlation()`, answering `status` for its first `failures` calls. */
async function backend(failures: number): Promise<string> {
  let calls = 0;
  const handler: HttpHandler = (_req, res) => void res.writeHead(calls++ < failures ? 503 : 200).end('{}');
  const server = createServer(compose([correlation({ route: () => '/items' })], handler));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('@keel/http telemetry', () => {
  it('traces a call as an upstream span with one CLIENT span per attempt, the retry marked', async () => {
    const url = await backend(1);
    const items = createUpstream('items', {
      endpoints: [{ url }],
      backoff: constantBackoff(0),
      strategy: roundRobin,
    });
    await items.request({ path: '/items' });
    const call = kit.span('upstream items');
    const attempts = kit.childrenOf(call);
    expect(attempts.map((s) => [s.name, s.kind, s.attributes['http.response.status_code']])).toEqual([
      ['GET', SpanKind.CLIENT, 503],
      ['GET', SpanKind.CLIENT, 200],
    ]);
    expect([attempts[0]!.status.code, attempts[0]!.attributes['error.type']]).toEqual([
      SpanStatusCode.ERROR,
      '503',
    ]);
    expect(attempts[1]!.attributes['http.request.resend_count']).toBe(1);
    expect(attempts[1]!.attributes['keel.upstream.name']).toBe('items');
  });

  it('continues the trace on the server: its SERVER span is a child of the attempt that reached it', async () => {
    const url = await backend(0);
    const items = createUpstream('items', { endpoints: [{ url }] });
    const res = await items.request({ path: '/items' });
    const [attempt] = kit.childrenOf(kit.span('upstream items'));
    const server = kit.span('GET /items');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.parentSpanContext?.spanId).toBe(attempt!.spanContext().spanId);
    expect(res.headers.get('traceresponse')).toContain(server.spanContext().spanId);
  });

  it('records client and server request durations with their status codes', async () => {
    const url = await backend(1);
    const items = createUpstream('items', { endpoints: [{ url }], backoff: constantBackoff(0) });
    await items.request({ path: '/items' });
    const client = await kit.points('http.client.request.duration', { 'http.request.method': 'GET' });
    expect(client.map((p) => [p.attributes['http.response.status_code'], p.count]).sort()).toEqual([
      [200, 1],
      [503, 1],
    ]);
    const server = await kit.points('http.server.request.duration', { 'http.route': '/items' });
    expect(server.reduce((sum, p) => sum + (p.count ?? 0), 0)).toBe(2);
  });
});
