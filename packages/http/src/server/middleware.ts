import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpProblem, problemFor, problemResponse } from './problem.js';

/**
 * A `node:http` middleware: it may answer itself, or call `next()` to pass the request on;
 * `next()` resolves once everything after it has finished (so a middleware can act on the
 * response, as Koa's and Hono's do). Express and Fastify adapters run the same functions.
 */
export type HttpMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: () => Promise<void>,
) => Promise<void> | void;

/** The last step of a chain: the route handler. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * Sends `error` as problem details, unless the response has already started. When the request
 * body was not read to its end (a 413 stops reading), the answer carries `Connection: close` and
 * the connection closes after it, so a keep-alive client is not left waiting on it.
 */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  const { status, headers, body } = problemResponse(problemFor(error));
  const req = (res as { req?: IncomingMessage }).req;
  // A body reader that gave up (readRawBody past its limit) destroyed the request stream: the
  // rest of the body is still on its way and the connection cannot carry another request.
  if (req !== undefined && req.destroyed && !req.complete) {
    res.writeHead(status, { ...headers, connection: 'close' }).end(body);
    return;
  }
  res.writeHead(status, headers).end(body);
}

/**
 * Composes middleware around a handler into one `node:http` request listener. A thrown
 * `HttpProblem` or `ValidationError` is sent as problem details; any other error as a bare 500.
 *
 * @example
 * ```ts
 * const server = createServer(compose([correlation(), rateLimit({ ... })], (req, res) => res.end('ok')));
 * ```
 */
export function compose(
  middleware: readonly HttpMiddleware[],
  handler: HttpHandler = (_req, res) => void res.writeHead(404).end(),
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const chain = [...middleware];
  return async (req, res) => {
    const run = async (index: number): Promise<void> => {
      const step = chain[index];
      if (step === undefined) return handler(req, res);
      let called = false;
      await step(req, res, () => {
        if (called) return Promise.reject(new Error('next() was called twice by one middleware.'));
        called = true;
        return run(index + 1);
      });
    };
    try {
      await run(0);
    } catch (error) {
      sendError(res, error);
    }
  };
}

const BODIES = new WeakMap<IncomingMessage, Promise<Buffer>>();

/**
 * The raw body of `req`, read once and shared by every middleware that asks (a framework that
 * parsed it already leaves it on `req.body`, which is used instead).
 * @throws HttpProblem 413 when it exceeds `limitBytes`.
 */
export function readRawBody(req: IncomingMessage, limitBytes = 1_048_576): Promise<Buffer> {
  const parsed = (req as { body?: unknown }).body;
  if (parsed !== undefined) {
    const text = typeof parsed === 'string' || Buffer.isBuffer(parsed) ? parsed : JSON.stringify(parsed);
    return Promise.resolve(Buffer.from(text));
  }
  let body = BODIES.get(req);
  if (body === undefined) {
    body = collect(req, limitBytes);
    BODIES.set(req, body);
  }
  return body;
}

async function collect(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      throw new HttpProblem({
        status: 413,
        title: 'Content Too Large',
        detail: `The body exceeds ${limitBytes} bytes; send a smaller one.`,
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
