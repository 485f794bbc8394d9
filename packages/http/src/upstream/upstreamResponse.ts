import { dropHopByHop } from './outgoingRequest.js';

/** Statuses whose response must not carry a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The content codings Node's fetch decodes. */
const DECODED_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/**
 * Whether fetch decoded the body of this answer: it does when every listed content coding is
 * one it knows, and the answer can have a body.
 */
export function bodyWasDecoded(method: string, status: number, headers: Headers): boolean {
  const encoding = headers.get('content-encoding');
  if (encoding === null || method === 'HEAD' || NULL_BODY_STATUSES.has(status)) return false;
  const codings = encoding
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity');
  return codings.length > 0 && codings.every((coding) => DECODED_CODINGS.has(coding));
}

/**
 * An upstream's answer with its body already read (so a per-try timeout covers the whole
 * exchange and a retry or hedge can replace a bad answer), and which endpoint gave it.
 */
export class UpstreamResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The status text. */
  readonly statusText: string;
  /** The response headers, as the endpoint sent them. */
  readonly headers: Headers;
  /** The body bytes (empty when there was none), already decoded from any gzip, deflate or br. */
  readonly body: Uint8Array;
  /** Whether `body` was decoded from the `content-encoding` in `headers`. */
  readonly decoded: boolean;
  /** The id of the endpoint that answered. */
  readonly endpointId: string;
  /** The version (canary routing group) of that endpoint. */
  readonly version: string;
  /** How many attempts the call made, hedges included, up to and including this one. */
  attempts: number;

  constructor(
    init: { status: number; statusText: string; headers: Headers; body: Uint8Array; decoded?: boolean },
    endpoint: { id: string; version: string },
    attempts: number,
  ) {
    this.status = init.status;
    this.statusText = init.statusText;
    this.headers = init.headers;
    this.body = init.body;
    this.decoded = init.decoded ?? false;
    this.endpointId = endpoint.id;
    this.version = endpoint.version;
    this.attempts = attempts;
  }

  /** Whether the status is 2xx. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.body);
  }

  /**
   * The body parsed as JSON.
   * @throws SyntaxError when the body is not JSON.
   */
  json<TBody = unknown>(): TBody {
    return JSON.parse(this.text()) as TBody;
  }

  /**
   * A standard `Response` with the same status and body (to hand to a framework), and the
   * headers that still describe that body: hop-by-hop headers (`connection`, `keep-alive`,
   * `transfer-encoding` …) are dropped, and so are `content-encoding` and `content-length` when
   * the body was decoded.
   */
  toResponse(): Response {
    const body = NULL_BODY_STATUSES.has(this.status) ? null : this.body;
    const headers = dropHopByHop(new Headers(this.headers));
    if (this.decoded) {
      headers.delete('content-encoding');
      headers.delete('content-length');
    }
    return new Response(body, { status: this.status, statusText: this.statusText, headers });
  }
}
