import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { responseDone } from './internal/responseDone.js';
import { sendError } from './server/middleware.js';
import type { HttpMiddleware } from './server/middleware.js';

/**
 * Runs a `@keel/http` middleware as a Fastify `preHandler` hook, on the raw node request and
 * response (after Fastify parsed the body, which the middleware then reads from `request.body`).
 * Its `next()` lets Fastify go on and resolves once the response has been sent. When the
 * middleware answers itself (429, 401, a replayed response …), the reply is hijacked so Fastify
 * sends nothing more.
 *
 * @example
 * ```ts
 * import { toFastify } from '@keel/http/fastify';
 * app.addHook('preHandler', toFastify(rateLimit({ algorithm: tokenBucket({ capacity: 100, refillPerSecond: 10 }) })));
 * ```
 */
export function toFastify(middleware: HttpMiddleware): preHandlerHookHandler {
  return function keelPreHandler(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ) {
    const raw = request.raw as typeof request.raw & { body?: unknown };
    if (request.body !== undefined) raw.body = request.body;
    let handedOver = false;
    const proceed = (): Promise<void> => {
      handedOver = true;
      const sent = responseDone(reply.raw);
      done();
      return sent;
    };
    Promise.resolve()
      .then(() => middleware(raw, reply.raw, proceed))
      .then(
        () => {
          if (!handedOver) reply.hijack();
        },
        (error: unknown) => {
          if (handedOver) return void reply.raw.destroy();
          reply.hijack();
          sendError(reply.raw, error);
        },
      );
  };
}
