import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { responseDone } from './internal/responseDone.js';
import { sendError } from './server/middleware.js';
import type { HttpMiddleware } from './server/middleware.js';

/**
 * Runs a `@keel/http` middleware as Express middleware. Express's `req` and `res` are node's, so
 * the middleware runs unchanged; its `next()` hands over to Express and resolves once the
 * response has been sent (so idempotency can store it and the server span sees its status).
 * A problem it throws before handing over is sent as RFC 9457 problem details.
 *
 * @example
 * ```ts
 * import { toExpress } from '@keel/http/express';
 * app.use(toExpress(correlation()), toExpress(rateLimit({ algorithm: tokenBucket({ capacity: 100, refillPerSecond: 10 }) })));
 * ```
 */
export function toExpress(middleware: HttpMiddleware): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    let handedOver = false;
    const proceed = (): Promise<void> => {
      handedOver = true;
      const done = responseDone(res);
      next();
      return done;
    };
    Promise.resolve()
      .then(() => middleware(req, res, proceed))
      .catch((error: unknown) => {
        if (handedOver) res.destroy();
        else sendError(res, error);
      });
  };
}

/** Runs several `@keel/http` middleware as Express middleware, in order. */
export function toExpressAll(...middleware: HttpMiddleware[]): RequestHandler[] {
  return middleware.map(toExpress);
}
