/** What the tour's HTTP client got back. */
export interface ClientResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** Options of one {@link GatewayClient} call. */
export interface CallOptions {
  /** Bearer token; omitted when undefined. */
  readonly token?: string | undefined;
  /** JSON body (or a raw string, sent as is). */
  readonly body?: unknown;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The longest a tour request may take before the client gives up, in ms. */
export const CLIENT_TIMEOUT_MS = 5_000;

/** A plain `fetch` client for the gateway, the way a mobile app or browser would call it. */
export class GatewayClient {
  readonly #baseUrl: string;

  constructor(baseUrl: string) {
    this.#baseUrl = baseUrl;
  }

  /** Sends one request and reads the JSON answer. */
  async call(method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<ClientResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${this.#baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
  }
}
