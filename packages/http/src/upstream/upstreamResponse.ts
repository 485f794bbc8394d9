/** Statuses whose response must not carry a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * An upstream's answer with its body already read (so a per-try timeout covers the whole
 * exchange and a retry or hedge can replace a bad answer), and which endpoint gave it.
 */
export class UpstreamResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The status text. */
  readonly statusText: string;
  /** The response headers. */
  readonly headers: Headers;
  /** The body bytes (empty when there was none). */
  readonly body: Uint8Array;
  /** The id of the endpoint that answered. */
  readonly endpointId: string;
  /** The version (canary routing group) of that endpoint. */
  readonly version: string;
  /** How many attempts the call made, hedges included, up to and including this one. */
  attempts: number;

  constructor(
    init: { status: number; statusText: string; headers: Headers; body: Uint8Array },
    endpoint: { id: string; version: string },
    attempts: number,
  ) {
    this.status = init.status;
    this.statusText = init.statusText;
    this.headers = init.headers;
    this.body = init.body;
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

  /** A standard `Response` with the same status, headers and body (to hand to a framework). */
  toResponse(): Response {
    const body = NULL_BODY_STATUSES.has(this.status) ? null : this.body;
    return new Response(body, { status: this.status, statusText: this.statusText, headers: this.headers });
  }
}
