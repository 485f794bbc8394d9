import type { IncomingMessage } from 'node:http';
import { parse, ValidationError } from '@keel/core';
import type { StandardSchemaV1 } from '@keel/core';
import { HttpProblem, readRawBody } from '@keel/http';
import { header } from '../http/httpKit.js';

/** The largest request body the gateway reads, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

function tooLarge(size: number): HttpProblem {
  const detail = `The body has ${size} bytes; the limit is ${MAX_BODY_BYTES} bytes. Send a smaller one.`;
  return new HttpProblem({ status: 413, title: 'Content Too Large', detail });
}

/**
 * Reads a JSON request body and validates it against a schema (zod here; any Standard Schema
 * works) at the edge, before any upstream is called.
 *
 * @param subject Names the body in the error message, e.g. `PlaceOrder body`.
 * @throws {ValidationError} listing every issue (HTTP 400), also for a wrong content type or
 * invalid JSON.
 * @throws {HttpProblem} 413 when the body exceeds {@link MAX_BODY_BYTES}.
 */
export async function readValidBody<TSchema extends StandardSchemaV1>(
  req: IncomingMessage,
  schema: TSchema,
  subject: string,
): Promise<StandardSchemaV1.InferOutput<TSchema>> {
  const type = header(req, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ValidationError(
      [{ path: [], message: `expected Content-Type application/json, got "${type}"` }],
      {
        subject,
      },
    );
  }
  // `@keel/http` reads a body once per request, so the Idempotency-Key middleware, which
  // fingerprints it first, and this handler see the same bytes.
  const body = await readRawBody(req, MAX_BODY_BYTES);
  // The body may have been read first with a larger limit (by that middleware): check ours too.
  if (body.length > MAX_BODY_BYTES) throw tooLarge(body.length);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ValidationError([{ path: [], message: `is not valid JSON (${(error as Error).message})` }], {
      subject,
    });
  }
  return parse(schema, json, { subject });
}
