import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { isValidationError } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { PlaceOrderBody } from '../bff/schemas.js';
import { toHttpError } from './httpErrors.js';
import { MAX_BODY_BYTES, readValidBody } from './validation.js';

function request(body: string, contentType = 'application/json'): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body)]), {
    headers: { 'content-type': contentType },
  }) as unknown as IncomingMessage;
}

const good = { productId: 'p-kettle', quantity: 2, shipTo: { country: 'FR', postcode: '75011' } };

async function failure(body: string, contentType?: string): Promise<unknown> {
  return readValidBody(request(body, contentType), PlaceOrderBody, 'PlaceOrder body').then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('request body validation', () => {
  it('returns the parsed body when it matches the schema', async () => {
    await expect(
      readValidBody(request(JSON.stringify(good)), PlaceOrderBody, 'PlaceOrder body'),
    ).resolves.toEqual(good);
  });

  it('reports every issue of a bad body, not just the first', async () => {
    const error = await failure(JSON.stringify({ productId: 'kettle', quantity: 11, shipTo: {} }));
    expect(isValidationError(error)).toBe(true);
    const http = toHttpError(error);
    expect(http.status).toBe(400);
    expect(http.body.error.issues?.map((issue) => issue.path).sort()).toEqual([
      'productId',
      'quantity',
      'shipTo.country',
      'shipTo.postcode',
    ]);
  });

  it('answers invalid JSON and a wrong content type with a validation error', async () => {
    expect(toHttpError(await failure('{"productId":')).status).toBe(400);
    expect(
      toHttpError(await failure(JSON.stringify(good), 'text/plain')).body.error.issues?.[0]?.message,
    ).toContain('application/json');
  });

  it('refuses a body larger than the limit with 413', async () => {
    const error = await failure(`"${'x'.repeat(MAX_BODY_BYTES)}"`);
    expect(toHttpError(error).status).toBe(413);
  });
});
