import { afterEach, describe, expect, it } from 'vitest';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { listen } from '../internal/loopback.fixture.js';
import { authorize, jwtAuth, principalOf } from './auth.js';
import { compose } from './middleware.js';
import { correlation } from './correlation.js';
import { currentRequestContext } from '../context/requestContext.js';
import type { HttpMiddleware } from './middleware.js';

/** The JSON body of a problem (or report) answer. */
const json = (res: Response): Promise<Record<string, string>> =>
  res.json() as Promise<Record<string, string>>;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
const NOW = Date.UTC(2026, 0, 1);

function token(claims: Record<string, unknown>, expiresAt = NOW / 1_000 + 60): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer('https://issuer.test')
    .setAudience('orders')
    .setIssuedAt(NOW / 1_000)
    .setExpirationTime(expiresAt)
    .sign(privateKey);
}

async function serve(middleware: HttpMiddleware[]): Promise<string> {
  const server = await listen(compose(middleware, (req, res) => void res.end(String(principalOf(req)?.sub))));
  closers.push(server.close);
  return server.url;
}

const options = { issuer: 'https://issuer.test', audience: 'orders', now: () => NOW };

describe('jwtAuth', () => {
  it('lets a request with a valid token through with its claims', async () => {
    const url = await serve([jwtAuth({ ...options, jwks: createLocalJWKSet({ keys: [jwk] }) })]);
    const res = await fetch(url, { headers: { authorization: `Bearer ${await token({ sub: 'ada' })}` } });
    expect([res.status, await res.text()]).toEqual([200, 'ada']);
  });

  it('fetches the keys from a JWKS URL', async () => {
    const jwks = await listen(
      (_req, res) =>
        void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    closers.push(jwks.close);
    const url = await serve([jwtAuth({ ...options, jwks: new URL(`${jwks.url}/.well-known/jwks.json`) })]);
    const res = await fetch(url, { headers: { authorization: `Bearer ${await token({ sub: 'bob' })}` } });
    expect(await res.text()).toBe('bob');
  });

  it('answers 401 with WWW-Authenticate when the token is missing', async () => {
    const url = await serve([jwtAuth({ ...options, jwks: createLocalJWKSet({ keys: [jwk] }) })]);
    const res = await fetch(url);
    expect([
      res.status,
      res.headers.get('www-authenticate')?.startsWith('Bearer error="invalid_request"'),
    ]).toEqual([401, true]);
  });

  it('answers 401 to an expired token', async () => {
    const url = await serve([jwtAuth({ ...options, jwks: createLocalJWKSet({ keys: [jwk] }) })]);
    const expired = await token({ sub: 'ada' }, NOW / 1_000 - 120);
    const res = await fetch(url, { headers: { authorization: `Bearer ${expired}` } });
    expect([res.status, (await json(res)).detail]).toEqual([401, expect.stringMatching(/"exp" claim/)]);
  });

  it('answers 401 to a token for another audience', async () => {
    const url = await serve([
      jwtAuth({ ...options, audience: 'billing', jwks: createLocalJWKSet({ keys: [jwk] }) }),
    ]);
    const res = await fetch(url, { headers: { authorization: `Bearer ${await token({ sub: 'ada' })}` } });
    expect(res.status).toBe(401);
  });
});

describe('authorize', () => {
  const writers = authorize((claims) =>
    String(claims.scope ?? '')
      .split(' ')
      .includes('orders:write'),
  );

  it('answers 403 when the hook refuses the caller', async () => {
    const url = await serve([jwtAuth({ ...options, jwks: createLocalJWKSet({ keys: [jwk] }) }), writers]);
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${await token({ sub: 'ada', scope: 'orders:read' })}` },
    });
    expect([res.status, (await json(res)).title]).toEqual([403, 'Forbidden']);
  });

  it('lets the caller through when the hook allows it', async () => {
    const url = await serve([jwtAuth({ ...options, jwks: createLocalJWKSet({ keys: [jwk] }) }), writers]);
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${await token({ sub: 'ada', scope: 'orders:write' })}` },
    });
    expect(res.status).toBe(200);
  });

  it('reads the principal a custom authenticator put in the request context', async () => {
    const apiKeys: HttpMiddleware = async (req, _res, next) => {
      const context = currentRequestContext();
      if (context !== undefined && req.headers['x-api-key'] === 'secret')
        context.principal = { scope: 'orders:write' };
      await next();
    };
    const url = await serve([correlation(), apiKeys, writers]);
    const allowed = await fetch(url, { headers: { 'x-api-key': 'secret' } });
    const anonymous = await fetch(url);
    expect([allowed.status, anonymous.status]).toEqual([200, 401]);
  });
});
