import type { IncomingMessage } from 'node:http';
import { parse, ValidationError } from '@keel/core';
import type { StandardSchemaV1 } from '@keel/core';
import { header, readBody } from '../http/httpKit.js';
import { PayloadTooLargeError } from './errors.js';

/** The largest request body the gateway reads, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON request body and validates it against a schema (zod here; any Standard Schema
 * works) at the edge, before any upstream is called.
 *
 * @param subject Names the body in the error message, e.g. `PlaceOrder body`.
 * @throws {ValidationError} listing every issue (HTTP 400), also for a wrong content type or
 * invalid JSON.
 * @throws {PayloadTooLargeError} when the body exceeds {@link MAX_BODY_BYTES} (HTTP 413).
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
  const body = await readBody(req, MAX_BODY_BYTES);
  if (!body.ok) throw new PayloadTooLargeError(body.size, MAX_BODY_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch (error) {
    throw new ValidationError([{ path: [], message: `is not valid JSON (${(error as Error).message})` }], {
      subject,
    });
  }
  return parse(schema, json, { subject });
}
