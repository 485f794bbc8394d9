import type { IncomingMessage } from 'node:http';
import { parseAsync } from '@keel/core';
import type { StandardSchemaV1 } from '@keel/core';
import type { HttpMiddleware } from './middleware.js';
import { readRawBody } from './middleware.js';
import { HttpProblem } from './problem.js';

/** What {@link validate} checks; each part is any Standard Schema (zod, valibot, arktype …). */
export interface RequestSchemas {
  /** The JSON body. */
  readonly body?: StandardSchemaV1 | undefined;
  /** The query string, as an object of strings. */
  readonly query?: StandardSchemaV1 | undefined;
}

/** The parsed parts of a request, as {@link validated} returns them. */
export interface ValidatedRequest {
  readonly body?: unknown;
  readonly query?: unknown;
}

const VALIDATED = new WeakMap<IncomingMessage, ValidatedRequest>();

/** The parsed body and query of `req` after {@link validate} ran. */
export function validated<TBody = unknown, TQuery = unknown>(
  req: IncomingMessage,
): { body: TBody; query: TQuery } {
  return (VALIDATED.get(req) ?? {}) as { body: TBody; query: TQuery };
}

/** Parses JSON text, answering 400 problem details when it is not JSON. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpProblem({
      status: 400,
      title: 'Malformed JSON',
      detail: 'The body is not valid JSON; send application/json.',
    });
  }
}

/**
 * `node:http` middleware validating the body and query with Standard Schemas (core `parse`):
 * a request that fails gets 400 RFC 9457 problem details listing every issue under `errors`
 * (`pointer`, `detail`); a valid one continues with its parsed parts in {@link validated}.
 */
export function validate(schemas: RequestSchemas): HttpMiddleware {
  return async (req, _res, next) => {
    const result: { body?: unknown; query?: unknown } = {};
    if (schemas.body !== undefined) {
      const text = (await readRawBody(req)).toString('utf8');
      result.body = await parseAsync(schemas.body, parseJsonBody(text), { subject: 'request body' });
    }
    if (schemas.query !== undefined) {
      const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
      result.query = await parseAsync(schemas.query, query, { subject: 'query' });
    }
    VALIDATED.set(req, result);
    await next();
  };
}
