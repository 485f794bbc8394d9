import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';
import { findStep } from './tour/tour.js';
import type { TourReport } from './tour/tour.js';
import type { TourStep } from './tour/tourKit.js';

let report: TourReport;

function step(id: string): TourStep {
  const found = findStep(report, id);
  if (found === undefined) throw new Error(`the tour recorded no step "${id}"`);
  return found;
}

describe('api-gateway tour', () => {
  beforeAll(async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      report = await main();
    } finally {
      log.mockRestore();
    }
  });

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
