import type { IncomingMessage } from 'node:http';
import { assertOptions, optionFunction, optionObject, optionString } from '@keel/core';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { currentRequestContext } from '../context/requestContext.js';
import type { HttpMiddleware } from './middleware.js';
import { HttpProblem } from './problem.js';

/** Options of {@link jwtAuthenticator} and {@link jwtAuth}. */
export interface JwtAuthOptions {
  /** The keys: a JWKS URL (fetched and cached by `jose`), or a `jose` key getter (e.g. `createLocalJWKSet`). */
  jwks: URL | JWTVerifyGetKey;
  /** The expected `iss`. @default not checked */
  issuer?: string | undefined;
  /** The expected `aud`. @default not checked */
  audience?: string | undefined;
  /** Accepted signature algorithms. @default what the key allows */
  algorithms?: readonly string[] | undefined;
  /** Clock skew tolerated for `exp`/`nbf`, in seconds. @default 30 */
  clockToleranceSeconds?: number | undefined;
  /** The current time, for `exp`/`nbf` checks (inject a clock's `now` in tests). @default Date.now */
  now?: (() => number) | undefined;
}

function unauthorized(detail: string, error = 'invalid_token'): HttpProblem {
  return new HttpProblem(
    { status: 401, title: 'Unauthorized', detail },
    { 'www-authenticate': `Bearer error="${error}", error_description="${detail.replaceAll('"', "'")}"` },
  );
}

/**
 * Makes a framework-free bearer-token check: verifies the JWT of an `Authorization: Bearer …`
 * header against the JWKS with `jose` (signature, `exp`, `nbf`, issuer, audience) and returns
 * its claims.
 *
 * @throws ValidationError when an option is invalid.
 * @returns A function that throws an {@link HttpProblem} 401 (with `WWW-Authenticate`) when the
 *   token is missing or invalid.
 */
export function jwtAuthenticator(
  options: JwtAuthOptions,
): (authorization: string | undefined) => Promise<JWTPayload> {
  assertOptions('jwtAuth', {
    jwks:
      options.jwks instanceof URL
        ? undefined
        : optionFunction(options.jwks, true) && 'must be a URL or a jose key getter.',
    issuer: optionString(options.issuer),
    audience: optionString(options.audience),
    now: optionFunction(options.now),
    options: optionObject(options, 'options', []),
  });
  const keys = options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : options.jwks;
  const now = options.now ?? Date.now;
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (match === null)
      throw unauthorized('Send a bearer token in the Authorization header.', 'invalid_request');
    try {
      const { payload } = await jwtVerify(match[1]!, keys, verifyOptions(options, now()));
      return payload;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError)
        throw unauthorized(`The token was refused: ${error.message}`);
      throw error;
    }
  };
}

function verifyOptions(options: JwtAuthOptions, now: number): JWTVerifyOptions {
  const verify: JWTVerifyOptions = {
    clockTolerance: options.clockToleranceSeconds ?? 30,
    currentDate: new Date(now),
  };
  if (options.issuer !== undefined) verify.issuer = options.issuer;
  if (options.audience !== undefined) verify.audience = options.audience;
  if (options.algorithms !== undefined) verify.algorithms = [...options.algorithms];
  return verify;
}

const PRINCIPALS = new WeakMap<IncomingMessage, JWTPayload>();

/**
 * The verified claims of `req`: what {@link jwtAuth} verified, else the principal another
 * authenticator put in the request context (`currentRequestContext().principal`); `undefined`
 * before authentication.
 */
export function principalOf(req: IncomingMessage): JWTPayload | undefined {
  return PRINCIPALS.get(req) ?? (currentRequestContext()?.principal as JWTPayload | undefined);
}

/**
 * `node:http` middleware that verifies the bearer JWT (see {@link jwtAuthenticator}), keeps the
 * claims for {@link principalOf} and the request context, and answers 401 problem details when
 * the token is missing or bad.
 */
export function jwtAuth(options: JwtAuthOptions): HttpMiddleware {
  const authenticate = jwtAuthenticator(options);
  return async (req, _res, next) => {
    const claims = await authenticate(req.headers.authorization);
    PRINCIPALS.set(req, claims);
    const context = currentRequestContext();
    if (context !== undefined) context.principal = claims;
    await next();
  };
}

/**
 * `node:http` middleware for one route's authorization: `allow` sees the verified claims and the
 * request; `false` answers 403 problem details. Put it after {@link jwtAuth}, or after your own
 * authenticator that sets `currentRequestContext().principal` (inside `correlation()`).
 *
 * @example
 * ```ts
 * authorize((claims) => String(claims.scope ?? '').split(' ').includes('orders:write'))
 * ```
 */
export function authorize(
  allow: (claims: JWTPayload, req: IncomingMessage) => boolean | Promise<boolean>,
): HttpMiddleware {
  return async (req, _res, next) => {
    const claims = principalOf(req);
    if (claims === undefined)
      throw unauthorized('This route needs an authenticated caller.', 'invalid_request');
    if (!(await allow(claims, req)))
      throw new HttpProblem({
        status: 403,
        title: 'Forbidden',
        detail: 'Your token does not allow this operation.',
      });
    await next();
  };
}
