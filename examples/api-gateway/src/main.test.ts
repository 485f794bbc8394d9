import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';
import type { ObservedTour } from './observed.js';
import { TOUR_TRACEPARENT } from './tour/edgeScenes.js';
import { findStep } from './tour/tour.js';
import type { TourReport } from './tour/tour.js';
import type { TourStep } from './tour/tourKit.js';

let report: TourReport;
let observed: ObservedTour;
let folder: string;

function step(id: string): TourStep {
  const found = findStep(report, id);
  if (found === undefined) throw new Error(`the tour recorded no step "${id}"`);
  return found;
}

// One tour for every test below (it takes a few seconds of real time).
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'keel-api-gateway-'));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    observed = await main({ metricsFile: join(folder, 'metrics.prom') });
    report = observed.report;
  } finally {
    log.mockRestore();
  }
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('api-gateway tour', () => {
  it('serves the compact mobile profile and the aggregated web page', () => {
    expect(step('mobile-me').status).toBe(200);
    expect(Object.keys(step('mobile-me').body).sort()).toEqual(['avatar', 'id', 'name']);
    const page = step('web-home');
    expect(page.status).toBe(200);
    expect(page.body.degraded).toEqual([]);
    expect(page.body.orders.available).toBe(true);
    expect(page.body.recommendations.available).toBe(true);
  });

  it('propagates the client request id to every backend the web page called', () => {
    const page = step('web-home');
    expect(page.headers['x-request-id']).toBe('tour-web-home-1');
    expect(page.outcome).toContain('reached 3 backend calls');
  });

  it('places an order once even when the same idempotency key is sent twice', () => {
    expect(step('place-order').status).toBe(201);
    expect(step('place-order-again').status).toBe(201);
    expect(step('place-order-again').body.id).toBe(step('place-order').body.id);
    expect(step('place-order-again').headers['idempotent-replayed']).toBe('true');
  });

  it('answers 401 to a missing, a tampered and an expired token', () => {
    for (const id of ['no-token', 'tampered-token', 'expired-token']) {
      expect(step(id).status).toBe(401);
      expect(step(id).body.error.code).toBe('UNAUTHORIZED');
    }
    expect(step('tampered-token').body.error.message).toContain('signature does not match');
    expect(step('expired-token').body.error.message).toContain('expired');
  });

  it('answers 400 listing every issue of a bad body without calling the orders service', () => {
    const bad = step('bad-body');
    expect(bad.status).toBe(400);
    const paths = (bad.body.error.issues as { path: string }[]).map((issue) => issue.path).sort();
    expect(paths).toEqual(['productId', 'quantity', 'shipTo.country', 'shipTo.postcode']);
    expect(step('bad-json').status).toBe(400);
    expect(step('bad-json').outcome).toContain('orders service called 0 times');
  });

  it('refuses a bursting free client with 429 and Retry-After while another client is served', () => {
    const burst = report.sections.flatMap((s) => s.steps).filter((s) => s.id.startsWith('burst-'));
    expect(burst).toHaveLength(8);
    const refused = burst.filter((s) => s.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(burst.filter((s) => s.status === 200).length).toBeGreaterThanOrEqual(5);
    for (const s of refused) expect(Number(s.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(step('other-client').status).toBe(200);
  });

  it('sends more requests to the fast users replica and retries a timed-out attempt elsewhere', () => {
    expect(step('balanced').statuses.every((status) => status === 200)).toBe(true);
    expect(step('balanced').outcome).toMatch(/users-1 ×([6-9]|10)/);
    const stalled = step('stalled');
    expect(stalled.status).toBe(200);
    expect(stalled.trace).toContain('users/users-1=timeout');
  });

  it('hides the flaky replica behind retries and ejects it', () => {
    const flaky = step('flaky');
    expect(flaky.statuses.every((status) => status === 200)).toBe(true);
    expect(report.events).toContainEqual(expect.objectContaining({ kind: 'ejected', replica: 'orders-3' }));
    const after = step('after-ejection');
    expect(after.statuses.every((status) => status === 200)).toBe(true);
    expect(after.outcome).not.toContain('orders-3=');
  });

  it('degrades the web page while the catalog is down and fails fast once the breaker is open', () => {
    for (const id of ['degraded-1', 'degraded-2']) {
      expect(step(id).status).toBe(200);
      expect(step(id).body.degraded).toEqual(['recommendations']);
      expect(step(id).body.recommendations).toEqual({ available: false, reason: expect.any(String) });
    }
    expect(step('degraded-2').trace).toContain('catalog/-=breaker-open');
    expect(step('degraded-2').outcome).toContain('catalog called 0 times');
    const direct = step('breaker-open');
    expect(direct.status).toBe(503);
    expect(direct.body.error.code).toBe('CIRCUIT_BROKEN');
    expect(Number(direct.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('recovers through a half-open probe once the catalog is back', () => {
    const recovered = step('recovered');
    expect(recovered.status).toBe(200);
    expect(recovered.body.degraded).toEqual([]);
    const transitions = report.events
      .filter((event) => event.kind === 'breaker' && event.upstream === 'catalog')
      .map((event) => (event.kind === 'breaker' ? `${event.from}→${event.to}` : ''));
    expect(transitions[0]).toBe('closed→open');
    expect(transitions.at(-1)).toBe('half-open→closed');
  });

  it('closes the gateway and every backend server', () => {
    expect(report.closed).toBe(true);
  });
});

/** The printed trace of tour step `id`. */
function shown(id: string): readonly ReadableSpan[] {
  const found = observed.shown.find((each) => each.step === id);
  if (found === undefined) throw new Error(`no trace was printed for step "${id}"`);
  return found.trace.spans;
}

function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
}

function named(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.find((span) => span.name === name);
  if (found === undefined) throw new Error(`no span "${name}" in ${spans.map((s) => s.name).join(', ')}`);
  return found;
}

describe('api-gateway traces and metrics', () => {
  it("continues the browser's trace in the gateway's server span, with the HTTP attributes", () => {
    const spans = shown('web-home');
    const [, traceId, parentId] = TOUR_TRACEPARENT.split('-');
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));
    const gateway = named(spans, 'GET /web/home');
    expect(gateway.kind).toBe(SpanKind.SERVER);
    expect(gateway.parentSpanContext?.spanId).toBe(parentId);
    expect(gateway.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/web/home',
      'http.route': '/web/home',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    });
    expect(gateway.attributes['server.port']).toEqual(expect.any(Number));
  });

  it('puts a client span per backend call under the gateway, and the backend server span under it', () => {
    const spans = shown('web-home');
    const gateway = named(spans, 'GET /web/home');
    const calls = childrenOf(spans, gateway)
      .map((span) => span.name)
      .sort();
    expect(calls).toEqual(['upstream catalog', 'upstream orders', 'upstream users']);
    const [client] = childrenOf(spans, named(spans, 'upstream users'));
    expect([client?.name, client?.kind]).toEqual(['GET', SpanKind.CLIENT]);
    const [backend] = childrenOf(spans, client!);
    expect([backend?.name, backend?.kind]).toEqual(['GET /users/:id', SpanKind.SERVER]);
    expect(backend?.attributes['http.route']).toBe('/users/:id');
  });

  it('shows the timed-out attempt and its retry as events of the upstream call, and the resend on the second attempt', () => {
    const spans = shown('stalled');
    const call = named(spans, 'upstream users');
    expect(call.events.map((event) => event.name)).toEqual(
      expect.arrayContaining(['resilience.timeout', 'resilience.retry']),
    );
    const attempts = childrenOf(spans, call).sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    expect(attempts[0]?.status.code).toBe(2);
    expect(attempts[0]?.attributes['http.request.resend_count']).toBeUndefined();
    expect(attempts.at(-1)?.status.code).toBe(0);
    expect(attempts.at(-1)?.attributes['http.request.resend_count']).toBe(attempts.length - 1);
  });

  it('shows the catalog breaker opening as an event of the failing call', () => {
    const call = named(shown('degraded-1'), 'upstream catalog');
    expect(call.events.map((event) => event.name)).toContain('resilience.circuit.opened');
    expect(call.status.code).toBe(2);
  });

  it('writes HTTP, resilience and balancer metrics in the Prometheus text format', async () => {
    const text = await readFile(observed.metricsFile, 'utf8');
    expect(text).toBe(observed.metrics);
    expect(text).toMatch(/^http_server_request_duration_count\{.*http_route="\/web\/home".*\} \d+$/m);
    for (const name of [
      'http_client_request_duration',
      'keel_resilience_retries_total',
      'keel_resilience_circuit_transitions_total',
      'keel_balancer_picks_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
