import type { Clock } from '@keel/core';
import { currentRequestContext } from '@keel/http';
import type { HttpMiddleware } from '@keel/http';
import { header, sendJson } from '../http/httpKit.js';
import { authenticate } from './auth.js';
import { toHttpError } from './httpErrors.js';
import { requestContextOf, responseHeaders } from './requestContext.js';

/**
 * Answers any error thrown further down the chain through the gateway's one mapping
 * (`httpErrors.ts`), with the request's ids and its `x-upstream-trace`. It sits inside
 * `correlation()`, so the server span sees the status it sends.
 */
export function answerErrors(): HttpMiddleware {
  return async (req, res, next) => {
    try {
      await next();
    } catch (error) {
      if (res.headersSent) throw error;
      const failure = toHttpError(error);
      sendJson(res, failure.status, failure.body, {
        ...failure.headers,
        ...responseHeaders(requestContextOf(req)),
      });
    }
  };
}

/**
 * Verifies the bearer token (`auth.ts`) before anything else looks at the request, so an
 * anonymous caller cannot probe which routes exist. The claims go to the gateway's context and,
 * as the principal, to `@keel/http`'s request context (the `Idempotency-Key` scope reads the
 * client id there).
 *
 * @param skip paths answered without a token (the health probe).
 */
export function bearerAuth(secret: string, clock: Clock, skip: readonly string[] = []): HttpMiddleware {
  return async (req, _res, next) => {
    if (skip.includes(new URL(req.url ?? '/', 'http://gateway').pathname)) return next();
    const claims = authenticate(header(req, 'authorization'), secret, clock.now());
    const context = requestContextOf(req);
    context.claims = claims;
    context.clientId = claims.sub;
    const shared = currentRequestContext();
    if (shared !== undefined) shared.principal = claims;
    await next();
  };
}
