import type { ClientResponse } from './client.js';
import type { TourKit } from './tourKit.js';

/** A stable request id the tour sends, to show it reaching every backend. */
export const TOUR_REQUEST_ID = 'tour-web-home-1';

/**
 * The W3C trace context the web front end sends with its page request, as a browser with
 * OpenTelemetry would: the gateway's span continues this trace (trace id `7d3f0e6c…`).
 */
export const TOUR_TRACEPARENT = '00-7d3f0e6c1b2a49c8a1f2e3d4c5b6a798-1a2b3c4d5e6f7081-01';

function issues(response: ClientResponse): string {
  const list = (response.body?.error?.issues ?? []) as { path: string; message: string }[];
  return list.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}

function describePage(kit: TourKit, response: ClientResponse): string {
  const { users, orders, catalog } = kit.system.backends;
  const seen = [...users, ...orders, ...catalog]
    .flatMap((replica) => replica.received)
    .filter((request) => request.requestId === TOUR_REQUEST_ID).length;
  const { orders: list, recommendations } = response.body;
  return (
    `page with ${list.data.length} orders and ${recommendations.data.length} recommendations; ` +
    `x-request-id ${response.headers.get('x-request-id')} reached ${seen} backend calls`
  );
}

async function placeOrderTwice(kit: TourKit): Promise<void> {
  const order = { productId: 'p-kettle', quantity: 1, shipTo: { country: 'FR', postcode: '75011' } };
  const options = { body: order, headers: { 'idempotency-key': 'checkout-7f3a' } };
  const placed = (r: ClientResponse): string => `order ${r.body.id} placed, total ${r.body.total}`;
  const first = await kit.step('place-order', 'POST', '/mobile/orders', 'mobile', placed, options);
  const by = (r: ClientResponse): string =>
    r.headers.get('idempotent-replayed') === 'true' ? 'answer replayed by the gateway' : 'answered by orders';
  const replayed = (r: ClientResponse): string =>
    r.body.id === first.body.id
      ? `same Idempotency-Key → same order ${r.body.id}, not a second one (${by(r)})`
      : `DUPLICATE order ${r.body.id}`;
  await kit.step('place-order-again', 'POST', '/mobile/orders', 'mobile', replayed, options);
}

/** Good requests through both BFFs, correlation ids, and an idempotent retry of a POST. */
export async function happyPath(kit: TourKit): Promise<void> {
  kit.section(
    'Good requests through both BFFs',
    'The mobile BFF answers with compact payloads; the web BFF fans out to users, orders and catalog in parallel.',
  );
  const compact = (r: ClientResponse): string => `compact profile: ${JSON.stringify(r.body)}`;
  await kit.step('mobile-me', 'GET', '/mobile/me', 'mobile', compact);
  await kit.step('web-home', 'GET', '/web/home', 'web', (r) => describePage(kit, r), {
    headers: { 'x-request-id': TOUR_REQUEST_ID, traceparent: TOUR_TRACEPARENT },
  });
  await placeOrderTwice(kit);
}

/** The mobile app's token with its claims rewritten (the signature no longer matches). */
function forge(token: string, change: Record<string, unknown>): string {
  const [version, claims, signature] = token.split('.');
  const altered = { ...JSON.parse(Buffer.from(claims!, 'base64url').toString()), ...change };
  return `${version}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${signature}`;
}

/** Bearer tokens: missing, tampered with, expired. */
export async function authentication(kit: TourKit): Promise<void> {
  kit.section(
    'Authentication',
    'Tokens are HMAC-SHA256 signed claims; the gateway checks them before anything else.',
  );
  const reason = (r: ClientResponse): string => r.body.error.message as string;
  await kit.step('no-token', 'GET', '/mobile/me', 'anonymous', reason);
  const tokens = {
    'tampered-token': ['forged (user → alan)', forge(kit.tokens.mobile, { user: 'alan' })],
    'expired-token': [
      'expired',
      kit.system.token({ sub: 'mobile-app', user: 'ada', plan: 'partner' }, -1_000),
    ],
  } as const;
  for (const [id, [label, token]] of Object.entries(tokens)) {
    const response = await kit.send('GET', '/mobile/me', 'anonymous', {
      headers: { authorization: `Bearer ${token}` },
    });
    kit.record(id, 'GET /mobile/me', label, response, reason(response));
  }
}

/** Request bodies validated with zod at the edge: every issue listed, upstreams untouched. */
export async function validation(kit: TourKit): Promise<void> {
  kit.section(
    'Validation',
    'POST bodies are checked with a zod schema before any upstream call; a 400 lists every issue.',
  );
  const ordersBefore = kit.system.backends.orders.reduce((sum, r) => sum + r.received.length, 0);
  await kit.step('bad-body', 'POST', '/mobile/orders', 'mobile', issues, {
    body: { productId: 'kettle', quantity: 0, shipTo: { country: 'France' } },
  });
  await kit.step(
    'bad-json',
    'POST',
    '/mobile/orders',
    'mobile',
    (r) => {
      const ordersAfter = kit.system.backends.orders.reduce(
        (sum, replica) => sum + replica.received.length,
        0,
      );
      return `${issues(r)}; orders service called ${ordersAfter - ordersBefore} times`;
    },
    { body: '{"productId": "p-kettle",' },
  );
}

/** A free-plan client bursts past its limit; a partner client is unaffected. */
export async function rateLimiting(kit: TourKit): Promise<void> {
  kit.section(
    'Per-client rate limiting',
    'Each client id has its own token bucket: the free plan allows a burst of 5, then 2 per second.',
  );
  const burst = await Promise.all(Array.from({ length: 8 }, () => kit.send('GET', '/mobile/me', 'script')));
  burst.sort((a, b) => a.status - b.status);
  for (const [index, response] of burst.entries()) {
    const outcome =
      response.status === 429
        ? `refused, Retry-After: ${response.headers.get('retry-after')} s`
        : `allowed, RateLimit: ${response.headers.get('ratelimit')}`;
    kit.record(`burst-${index + 1}`, 'GET /mobile/me', 'report-script', response, outcome);
  }
  await kit.step(
    'other-client',
    'GET',
    '/mobile/me',
    'mobile',
    () => 'another client at the same moment: unaffected',
  );
}
