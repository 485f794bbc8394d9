import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@keel/core';
import type { HealthReport } from '@keel/core';
import { InMemoryIdempotencyStore } from '@keel/cqrs';
import { tokenBucket } from '@keel/resilience';
import { z } from 'zod';
import { listen } from '../internal/loopback.fixture.js';
import { currentRequestContext } from '../context/requestContext.js';
import { compose } from './middleware.js';
import type { HttpHandler, HttpMiddleware } from './middleware.js';
import { rateLimit } from './rateLimit.js';
import { idempotencyKey } from './idempotency.js';
import { validate, validated } from './validation.js';
import { correlation } from './correlation.js';
import { healthEndpoints } from './health.js';
import { HttpProblem } from './problem.js';

/** The JSON body of a problem (or report) answer. */
const json = (res: Response): Promise<Record<string, string>> =>
  res.json() as Promise<Record<string, string>>;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});
async function serve(middleware: HttpMiddleware[], handler?: HttpHandler): Promise<string> {
  const server = await listen(compose(middleware, handler));
  closers.push(server.close);
  return server.url;
}
const ok: HttpHandler = (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');

describe('rateLimit', () => {
  it('sends the IETF RateLimit headers on an allowed request', async () => {
    const url = await serve(
      [rateLimit({ algorithm: tokenBucket({ capacity: 10, refillPerSecond: 1 }), clock: new ManualClock() })],
      ok,
    );
    const res = await fetch(url);
    expect([res.status, res.headers.get('ratelimit-policy'), res.headers.get('ratelimit')]).toEqual([
      200,
      '"default";q=10;w=10',
      '"default";r=9;t=1',
    ]);
  });

  it('answers 429 problem details with Retry-After once the quota is used up', async () => {
    const clock = new ManualClock();
    const url = await serve(
      [rateLimit({ algorithm: tokenBucket({ capacity: 1, refillPerSecond: 0.5 }), key: () => 'k', clock })],
      ok,
    );
    await fetch(url);
    const res = await fetch(url);
    expect([res.status, res.headers.get('retry-after'), res.headers.get('content-type')]).toEqual([
      429,
      '2',
      'application/problem+json',
    ]);
    expect(await json(res)).toMatchObject({ status: 429, title: 'Too Many Requests' });
  });

  it('counts each key on its own', async () => {
    const clock = new ManualClock();
    const limit = rateLimit({
      algorithm: tokenBucket({ capacity: 1, refillPerSecond: 1 }),
      key: (req) => String(req.headers['x-api-key']),
      clock,
    });
    const url = await serve([limit], ok);
    await fetch(url, { headers: { 'x-api-key': 'a' } });
    const other = await fetch(url, { headers: { 'x-api-key': 'b' } });
    expect(other.status).toBe(200);
  });
});

describe('idempotencyKey', () => {
  const counting = (): { handler: HttpHandler; runs: () => number } => {
    let runs = 0;
    return {
      runs: () => runs,
      handler: (_req, res) =>
        void res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ order: ++runs })),
    };
  };
  const post = (url: string, key: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'idempotency-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('replays the stored answer to a repeated request without running it again', async () => {
    const { handler, runs } = counting();
    const url = await serve([idempotencyKey({ store: new InMemoryIdempotencyStore() })], handler);
    await post(url, 'k1', { sku: 'a' });
    const replay = await post(url, 'k1', { sku: 'a' });
    expect([replay.status, await replay.json(), replay.headers.get('idempotent-replayed'), runs()]).toEqual([
      201,
      { order: 1 },
      'true',
      1,
    ]);
  });

  it('keeps the headers the repeated request set itself over those of the first answer', async () => {
    let request = 0;
    const stamp: HttpMiddleware = async (_req, res, next) => {
      res.setHeader('x-request-id', `r-${++request}`);
      await next();
    };
    const { handler } = counting();
    const url = await serve([stamp, idempotencyKey({ store: new InMemoryIdempotencyStore() })], handler);
    const first = await post(url, 'k1', { sku: 'a' });
    const replay = await post(url, 'k1', { sku: 'a' });
    expect([first.headers.get('x-request-id'), replay.headers.get('x-request-id')]).toEqual(['r-1', 'r-2']);
    expect([replay.headers.get('content-type'), replay.headers.get('idempotent-replayed')]).toEqual([
      'application/json',
      'true',
    ]);
  });

  it('answers 400 to a key longer than 255 bytes, and keeps one at the limit', async () => {
    const { handler, runs } = counting();
    const url = await serve([idempotencyKey({ store: new InMemoryIdempotencyStore() })], handler);
    const tooLong = await post(url, 'é'.repeat(128), { sku: 'a' }); // 256 bytes
    expect([tooLong.status, (await json(tooLong)).title, runs()]).toEqual([
      400,
      'Idempotency-Key too long',
      0,
    ]);
    const atLimit = 'k'.repeat(255);
    await post(url, atLimit, { sku: 'a' });
    const replay = await post(url, atLimit, { sku: 'a' });
    expect([replay.status, replay.headers.get('idempotent-replayed'), runs()]).toEqual([201, 'true', 1]);
  });

  it('keeps keys apart under a scope too long for a store key, by hashing scope and key', async () => {
    const { handler, runs } = counting();
    const scope = (request: { readonly headers: Headers }) =>
      `${'tenant-'.repeat(200)}${request.headers.get('x-tenant')}`;
    const url = await serve([idempotencyKey({ store: new InMemoryIdempotencyStore(), scope })], handler);
    const send = (tenant: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'idempotency-key': 'k1', 'content-type': 'application/json', 'x-tenant': tenant },
        body: '{}',
      });
    expect((await send('a')).status).toBe(201);
    const replay = await send('a');
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect((await send('b')).status).toBe(201);
    expect(runs()).toBe(2);
  });

  it('answers 422 to a reused key with a different body', async () => {
    const { handler } = counting();
    const url = await serve([idempotencyKey({ store: new InMemoryIdempotencyStore() })], handler);
    await post(url, 'k1', { sku: 'a' });
    const reused = await post(url, 'k1', { sku: 'b' });
    expect([reused.status, (await json(reused)).title]).toEqual([422, 'Idempotency-Key reused']);
  });

  it('answers 409 to a duplicate that arrives while the first still runs', async () => {
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = (): void => {};
    const running = new Promise<void>((resolve) => (entered = resolve));
    const slow: HttpHandler = async (_req, res) => {
      entered();
      await gate;
      res.writeHead(201).end('done');
    };
    const url = await serve([idempotencyKey({ store: new InMemoryIdempotencyStore() })], slow);
    const first = post(url, 'k1', {});
    await running;
    const second = await post(url, 'k1', {});
    release();
    expect([second.status, (await first).status]).toEqual([409, 201]);
  });

  it('requires the header when told to', async () => {
    const url = await serve([idempotencyKey({ store: new InMemoryIdempotencyStore(), required: true })], ok);
    const res = await fetch(url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(400);
  });

  it('lets a request run again after its first attempt answered 5xx', async () => {
    let runs = 0;
    const flaky: HttpHandler = (_req, res) => void res.writeHead(++runs === 1 ? 503 : 201).end(String(runs));
    const url = await serve([idempotencyKey({ store: new InMemoryIdempotencyStore() })], flaky);
    await post(url, 'k1', {});
    const again = await post(url, 'k1', {});
    expect([again.status, runs]).toEqual([201, 2]);
  });
});

describe('validate', () => {
  const schema = z.object({ sku: z.string().min(1), quantity: z.number().int().positive() });

  it('hands the parsed body to the handler', async () => {
    const url = await serve(
      [validate({ body: schema })],
      (req, res) => void res.end(JSON.stringify(validated(req).body)),
    );
    const res = await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ sku: 'a', quantity: 2, extra: 1 }),
    });
    expect(await json(res)).toEqual({ sku: 'a', quantity: 2 });
  });

  it('answers 400 problem details listing every issue', async () => {
    const url = await serve([validate({ body: schema })], ok);
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ sku: '', quantity: -1 }) });
    const problem = (await res.json()) as { errors: { pointer: string }[] };
    expect([res.status, res.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    expect(problem.errors.map((e) => e.pointer).sort()).toEqual(['/quantity', '/sku']);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const url = await serve([validate({ body: schema })], ok);
    const res = await fetch(url, { method: 'POST', body: '{nope' });
    expect([res.status, (await json(res)).title]).toEqual([400, 'Malformed JSON']);
  });

  it('validates the query string', async () => {
    const url = await serve([validate({ query: z.object({ page: z.coerce.number().max(5) }) })], ok);
    expect((await fetch(`${url}/?page=9`)).status).toBe(400);
  });
});

describe('correlation', () => {
  it('refuses a route that is not a function and a clock without now, naming both', () => {
    expect(() =>
      correlation({ route: 'orders' as never, clock: { sleep: () => undefined } as never }),
    ).toThrow(/Invalid correlation options \(2 problems\): route: .*; clock: must be a Clock \(with now\)/);
    expect(() => correlation({ route: undefined, clock: undefined })).not.toThrow();
  });

  it('keeps the caller correlation id and echoes it', async () => {
    const url = await serve(
      [correlation()],
      (_req, res) => void res.end(currentRequestContext()?.correlationId),
    );
    const res = await fetch(url, { headers: { 'x-correlation-id': 'corr-7' } });
    expect([await res.text(), res.headers.get('x-correlation-id')]).toEqual(['corr-7', 'corr-7']);
  });

  it('makes a new correlation id when the caller sent none', async () => {
    const url = await serve(
      [correlation()],
      (_req, res) => void res.end(currentRequestContext()?.correlationId),
    );
    const res = await fetch(url);
    expect(await res.text()).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('healthEndpoints', () => {
  const report = (status: HealthReport['status']): HealthReport => ({
    status,
    healthy: status !== 'fail',
    ready: status === 'pass',
    time: '2026-01-01T00:00:00.000Z',
    workers: {},
  });

  it('answers readiness 503 and liveness 200 while the host is healthy but not ready', async () => {
    const url = await serve([healthEndpoints({ report: () => report('warn') })], ok);
    const [live, ready] = await Promise.all([fetch(`${url}/healthz`), fetch(`${url}/readyz`)]);
    expect([live.status, ready.status, (await json(ready)).status]).toEqual([200, 503, 'warn']);
  });

  it('passes other paths on', async () => {
    const url = await serve([healthEndpoints({ report: () => report('pass') })], ok);
    expect(await (await fetch(`${url}/orders`)).text()).toBe('ok');
  });
});

describe('compose', () => {
  it('sends a thrown HttpProblem as problem details with its headers', async () => {
    const url = await serve([], () => {
      throw new HttpProblem(
        { status: 404, title: 'Not Found', detail: 'No order "o-1".' },
        { 'x-hint': 'h' },
      );
    });
    const res = await fetch(url);
    expect([res.status, res.headers.get('x-hint'), (await json(res)).detail]).toEqual([
      404,
      'h',
      'No order "o-1".',
    ]);
  });

  it('answers a bare 500 that leaks nothing for an unexpected error', async () => {
    const url = await serve([], () => {
      throw new Error('db password is hunter2');
    });
    const res = await fetch(url);
    expect([res.status, await res.text()]).toEqual([
      500,
      '{"type":"about:blank","status":500,"title":"Internal Server Error"}',
    ]);
  });
});
