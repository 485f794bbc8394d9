import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  assertOptions,
  optionBoolean,
  optionFunction,
  optionNumber,
  optionObject,
  withDefaults,
} from '@keel/core';
import { MAX_IDEMPOTENCY_KEY_BYTES } from '@keel/cqrs';
import type { IdempotencyStore } from '@keel/cqrs';
import type { HttpMiddleware } from './middleware.js';
import { readRawBody } from './middleware.js';
import { HttpProblem } from './problem.js';

/** A response kept for replay. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body, base64. */
  readonly body: string;
}

/** What {@link idempotencyCheck} decided for a request. */
export type IdempotencyVerdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'problem'; readonly problem: HttpProblem }
  | {
      readonly kind: 'proceed';
      /** Stores the answer (a 5xx is not stored: the claim is released so a retry runs again). */
      complete(response: StoredResponse): Promise<void>;
      /** Gives the key up after a failure. */
      release(): Promise<void>;
    };

/** Options of {@link idempotencyKey}. */
export interface IdempotencyKeyOptions {
  /** Where keys and answers are kept: a cqrs `IdempotencyStore` (in memory, or `@keel/postgres`'s). */
  store: IdempotencyStore;
  /** Methods the header applies to. @default ['POST', 'PATCH'] */
  methods?: readonly string[] | undefined;
  /** Answer 400 when such a request has no `Idempotency-Key`. @default false */
  required?: boolean | undefined;
  /** How long one request holds its key while it runs, in ms. @default 60_000 */
  leaseMs?: number | undefined;
  /** Who a key belongs to (keys of different clients never collide), e.g. the API key. @default '' */
  scope?: ((request: { readonly headers: Headers }) => string) | undefined;
}

/** One request as the check sees it. */
export interface IdempotencyInput {
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
  /**
   * The body, or a function reading it: the check calls it only for a request it handles
   * (method in `methods` with an `Idempotency-Key`), so other requests keep their body unread.
   */
  readonly body: Uint8Array | (() => Promise<Uint8Array>);
}

interface Stored extends StoredResponse {
  readonly fingerprint: string;
}

const DEFAULTS = Object.freeze({
  methods: Object.freeze(['POST', 'PATCH']) as readonly string[],
  required: false,
  leaseMs: 60_000,
  scope: ((): string => '') as (request: { readonly headers: Headers }) => string,
});

/** The longest `Idempotency-Key` accepted, in UTF-8 bytes (a UUID is 36; Stripe allows 255). */
const MAX_IDEMPOTENCY_HEADER_BYTES = 255;

/**
 * The store key of a request's `Idempotency-Key` in its scope; hashed when a long scope would
 * make it longer than a store accepts, so any scope works on every store.
 */
function storeKeyOf(scope: string, key: string): string {
  const plain = `http:${scope}:${key}`;
  if (Buffer.byteLength(plain) <= MAX_IDEMPOTENCY_KEY_BYTES) return plain;
  return `http:sha256:${createHash('sha256').update(`${scope}\n${key}`).digest('base64url')}`;
}

function problem(status: number, title: string, detail: string): IdempotencyVerdict {
  return { kind: 'problem', problem: new HttpProblem({ status, title, detail }) };
}

/**
 * Makes a framework-free `Idempotency-Key` check (IETF draft "The Idempotency-Key HTTP Header
 * Field"): the first request with a key runs and its answer is stored; a repeat with the same
 * body gets the stored answer again; a repeat while the first still runs gets 409; a repeat
 * with a different body (or method or path) gets 422.
 *
 * @throws ValidationError when an option is invalid.
 */
export function idempotencyCheck(
  options: IdempotencyKeyOptions,
): (input: IdempotencyInput) => Promise<IdempotencyVerdict> {
  const settings = withDefaults(DEFAULTS, options);
  assertOptions('idempotencyKey', {
    store: optionObject(settings.store, 'an IdempotencyStore', ['claim', 'complete', 'release'], true),
    required: optionBoolean(settings.required),
    leaseMs: optionNumber(settings.leaseMs, { min: 1 }),
    scope: optionFunction(settings.scope),
  });
  const methods = new Set(settings.methods.map((method) => method.toUpperCase()));
  return async (input) => {
    if (!methods.has(input.method)) return { kind: 'pass' };
    const key = input.headers.get('idempotency-key');
    if (key === null || key === '') {
      if (!settings.required) return { kind: 'pass' };
      return problem(
        400,
        'Idempotency-Key required',
        `${input.method} ${input.path} needs an Idempotency-Key header; send a unique key per operation.`,
      );
    }
    if (Buffer.byteLength(key) > MAX_IDEMPOTENCY_HEADER_BYTES)
      return problem(
        400,
        'Idempotency-Key too long',
        `The Idempotency-Key header has ${Buffer.byteLength(key)} bytes; send at most ${MAX_IDEMPOTENCY_HEADER_BYTES} (a UUID is 36).`,
      );
    const body = typeof input.body === 'function' ? await input.body() : input.body;
    const fingerprint = createHash('sha256')
      .update(`${input.method} ${input.path}\n`)
      .update(body)
      .digest('base64url');
    const storeKey = storeKeyOf(settings.scope(input), key);
    const claim = await settings.store.claim(storeKey, settings.leaseMs);
    if (claim.status === 'pending')
      return problem(
        409,
        'Request in progress',
        `A request with Idempotency-Key "${key}" is still being processed; retry once it has finished.`,
      );
    if (claim.status === 'completed') {
      const stored = claim.result as Stored;
      if (stored.fingerprint !== fingerprint)
        return problem(
          422,
          'Idempotency-Key reused',
          `Idempotency-Key "${key}" was used for a different request; use a new key for a new operation.`,
        );
      return { kind: 'replay', response: stored };
    }
    const { token } = claim;
    return {
      kind: 'proceed',
      complete: async (response) => {
        if (response.status >= 500) await settings.store.release(storeKey, token);
        else await settings.store.complete(storeKey, token, { ...response, fingerprint } satisfies Stored);
      },
      release: async () => void (await settings.store.release(storeKey, token)),
    };
  };
}

/** Headers not worth replaying (they describe the original connection or time). */
const NOT_REPLAYED = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Records what is written to `res`, to store it once the response ends. */
function capture(res: ServerResponse): () => StoredResponse {
  const chunks: Buffer[] = [];
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  // Headers given to writeHead (as frameworks do) are not kept by node for getHeaders(): copy them.
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = rest.find((arg) => typeof arg === 'object' && arg !== null && !Array.isArray(arg));
    if (headers !== undefined && !res.headersSent)
      for (const [name, value] of Object.entries(headers as Record<string, string>))
        res.setHeader(name, value);
    return writeHead(status, ...rest.filter((arg) => arg !== headers));
  }) as typeof res.writeHead;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const keep = (chunk: unknown): void => {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => (
    keep(chunk),
    write(chunk, ...rest)
  )) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') keep(chunk);
    return end(chunk, ...rest);
  }) as typeof res.end;
  return () => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.getHeaders()))
      if (value !== undefined && !NOT_REPLAYED.has(name))
        headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    return { status: res.statusCode, headers, body: Buffer.concat(chunks).toString('base64') };
  };
}

/**
 * `node:http` middleware handling the `Idempotency-Key` header (see {@link idempotencyCheck}).
 * A replayed answer carries `idempotent-replayed: true`. The body is read only for a request it
 * handles; any other passes on with its body unread.
 *
 * @example
 * ```ts
 * idempotencyKey({ store: new InMemoryIdempotencyStore(), required: true })
 * ```
 */
export function idempotencyKey(options: IdempotencyKeyOptions): HttpMiddleware {
  const check = idempotencyCheck(options);
  return async (req, res, next) => {
    const headers = new Headers(req.headers as Record<string, string>);
    const body = () => readRawBody(req);
    const path = req.url ?? '/';
    const verdict = await check({ method: req.method ?? 'GET', path, headers, body });
    if (verdict.kind === 'pass') return next();
    if (verdict.kind === 'problem') throw verdict.problem;
    if (verdict.kind === 'replay') {
      const { status, headers: stored, body: base64 } = verdict.response;
      // Headers this request's own middleware set (trace, correlation, rate limit) describe this
      // request, not the first one: they win over the stored ones.
      const replayed = Object.fromEntries(Object.entries(stored).filter(([name]) => !res.hasHeader(name)));
      res
        .writeHead(status, { ...replayed, 'idempotent-replayed': 'true' })
        .end(Buffer.from(base64, 'base64'));
      return;
    }
    const recorded = capture(res);
    try {
      await next();
    } catch (error) {
      await verdict.release();
      throw error;
    }
    await (res.writableEnded ? verdict.complete(recorded()) : verdict.release());
  };
}
