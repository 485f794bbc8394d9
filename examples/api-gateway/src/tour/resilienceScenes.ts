import type { ClientResponse } from './client.js';
import type { TourKit } from './tourKit.js';

/** How many requests the flaky-replica scene may send at most (the tour stays bounded). */
export const MAX_FLAKY_REQUESTS = 30;

function servedBy(response: ClientResponse): string {
  const trace = response.headers.get('x-upstream-trace') ?? '';
  return trace === '' ? 'no upstream call' : trace;
}

function counts(values: readonly string[]): string {
  const tally = new Map<string, number>();
  for (const value of values) tally.set(value, (tally.get(value) ?? 0) + 1);
  return [...tally].map(([value, count]) => `${value} ×${count}`).join(', ');
}

/** P2C peak-EWMA steers around the slow users replica; a stalled one times out and is retried. */
export async function slowReplica(kit: TourKit): Promise<void> {
  kit.section(
    'Load balancing around a slow replica',
    'users-2 answers in 120 ms, users-1 in ~1 ms. P2C peak-EWMA learns it; then users-1 stalls and the 400 ms timeout retries elsewhere.',
  );
  const served: string[] = [];
  const statuses: number[] = [];
  let response: ClientResponse | undefined;
  for (let i = 0; i < 10; i++) {
    response = await kit.send('GET', '/mobile/me', 'mobile');
    statuses.push(response.status);
    served.push(/users\/([\w-]+)=200/.exec(servedBy(response))?.[1] ?? `status ${response.status}`);
  }
  kit.record(
    'balanced',
    'GET /mobile/me ×10',
    'mobile-app',
    response!,
    `served by ${counts(served)}`,
    statuses,
  );
  kit.system.backends.replica('users-1').set({ latencyMs: 1_000 });
  await kit.step('stalled', 'GET', '/mobile/me', 'mobile', (r) => `users-1 stalls 1 s → ${servedBy(r)}`);
  kit.system.backends.replica('users-1').set({ latencyMs: 0 });
}

/** Sends order requests until `replica` is ejected (at most {@link MAX_FLAKY_REQUESTS}), then one more. */
async function untilEjected(
  kit: TourKit,
  replica: string,
): Promise<{ statuses: number[]; failedAttempts: number; last: ClientResponse }> {
  const ejected = (): boolean =>
    kit.system.upstreams.orders.stats().some((s) => s.id === replica && s.ejected);
  const statuses: number[] = [];
  let failedAttempts = 0;
  while (statuses.length < MAX_FLAKY_REQUESTS && !ejected()) {
    const response = await kit.send('GET', '/mobile/orders', 'mobile');
    statuses.push(response.status);
    failedAttempts += (servedBy(response).match(/=503/g) ?? []).length;
  }
  const last = await kit.send('GET', '/mobile/orders', 'mobile');
  statuses.push(last.status);
  return { statuses, failedAttempts, last };
}

/** A flaky orders replica: retries hide its failures and outlier detection ejects it. */
export async function flakyReplica(kit: TourKit): Promise<void> {
  kit.section(
    'A flaky replica is retried around, then ejected',
    'orders-3 now fails 4 requests in 5 with a 503. orders uses P2C least-connections; failed attempts are retried, and 3 failures in a row eject the replica.',
  );
  const orders3 = kit.system.backends.replica('orders-3');
  orders3.set({ failureRate: 0.8 });
  const { statuses, failedAttempts, last } = await untilEjected(kit, 'orders-3');
  kit.record(
    'flaky',
    `GET /mobile/orders ×${statuses.length}`,
    'mobile-app',
    last,
    `${counts(statuses.map(String))}; ${failedAttempts} attempts hit a 503 on orders-3 and were retried`,
    statuses,
  );
  const after: string[] = [];
  const afterStatuses: number[] = [];
  let response = last;
  for (let i = 0; i < 6; i++) {
    response = await kit.send('GET', '/mobile/orders', 'mobile');
    afterStatuses.push(response.status);
    after.push(servedBy(response));
  }
  kit.record(
    'after-ejection',
    'GET /mobile/orders ×6',
    'mobile-app',
    response,
    `orders-3 is out of rotation → ${counts(after)}`,
    afterStatuses,
  );
  orders3.set({ failureRate: 0 });
}

/** The catalog goes down: the web page degrades, the breaker opens, then everything recovers. */
export async function catalogOutage(kit: TourKit, breakMs: number): Promise<void> {
  kit.section(
    'Catalog down: the breaker opens, the web page degrades, then recovers',
    `Every catalog call now fails. 3 failures in a row open its circuit for ${breakMs} ms; the web BFF falls back per section.`,
  );
  const catalog = kit.system.backends.replica('catalog-1');
  catalog.set({ failureRate: 1 });
  const page = (r: ClientResponse): string =>
    r.status === 200
      ? `page served, degraded: [${(r.body.degraded as string[]).join(', ')}] — ${servedBy(r)}`
      : `HTTP ${r.status}`;
  await kit.step('degraded-1', 'GET', '/web/home', 'web', page);
  const callsBefore = catalog.received.length;
  await kit.step(
    'degraded-2',
    'GET',
    '/web/home',
    'web',
    (r) => `${page(r)}; catalog called ${catalog.received.length - callsBefore} times`,
  );
  await kit.step(
    'breaker-open',
    'GET',
    '/mobile/products/p-kettle',
    'mobile',
    (r) => `no fallback on this route: ${r.body.error.code}, Retry-After: ${r.headers.get('retry-after')} s`,
  );
  catalog.set({ failureRate: 0 });
  await kit.clock.sleep(breakMs + 100);
  await kit.step('recovered', 'GET', '/web/home', 'web', (r) =>
    r.status === 200 && (r.body.degraded as string[]).length === 0
      ? `catalog back: a half-open probe succeeded, full page again — ${servedBy(r)}`
      : page(r),
  );
}
