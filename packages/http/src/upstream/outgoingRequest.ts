import { isKeelError, ValidationError } from '@keel/core';
import type { ValidationIssue } from '@keel/core';

/** RFC 9110 token: what a method or header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1): a proxy drops them,
 * with the headers `Connection` names, as Envoy does.
 */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** Removes the hop-by-hop headers from `headers` (in place), those `Connection` names too. */
export function dropHopByHop(headers: Headers): Headers {
  const named = headers.get('connection');
  if (named !== null)
    for (const name of named.split(',')) {
      const trimmed = name.trim();
      if (TOKEN.test(trimmed)) headers.delete(trimmed);
    }
  for (const name of HOP_BY_HOP) headers.delete(name);
  return headers;
}

/** Methods `fetch` refuses to send. */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

function refuse(upstream: string, field: string, message: string, cause?: unknown): ValidationError {
  return new ValidationError([{ path: [field], message }], {
    subject: `request to upstream "${upstream}"`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Checks the method and path of a call before any endpoint is leased, so a request `fetch`
 * would refuse fails alone instead of counting against an endpoint.
 * @throws ValidationError for a method that is not a token or that fetch refuses (CONNECT,
 *   TRACE, TRACK), or a path that does not start with `/` (an absolute URL, `*` …).
 */
export function checkMethodAndPath(upstream: string, method: string, path: string): void {
  if (!TOKEN.test(method)) throw refuse(upstream, 'method', `"${method}" is not an HTTP method.`);
  if (FORBIDDEN_METHODS.has(method))
    throw refuse(upstream, 'method', `${method} cannot be sent through fetch; answer it at the gateway.`);
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw refuse(
      upstream,
      'path',
      `"${String(path)}" is not an origin-relative path; pass a path starting with "/" (the endpoint chooses the host).`,
    );
}

/**
 * The body to send: an empty body on GET or HEAD is dropped (fetch refuses any body there).
 * @throws ValidationError for a non-empty body on GET or HEAD.
 */
export function checkBody(
  upstream: string,
  method: string,
  body: Uint8Array | string | undefined,
): Uint8Array | string | undefined {
  if (body === undefined || (method !== 'GET' && method !== 'HEAD')) return body;
  if (body.length === 0) return undefined;
  throw refuse(upstream, 'body', `A ${method} request cannot carry a body; use POST or PUT.`);
}

/** Builds headers from `init`, as a ValidationError when a name or value is not valid HTTP. */
export function checkedHeaders(upstream: string, init: ConstructorParameters<typeof Headers>[0]): Headers {
  try {
    return new Headers(init);
  } catch (cause) {
    throw refuse(upstream, 'headers', `A header is not valid HTTP: ${(cause as Error).message}`, cause);
  }
}

/**
 * The URL of `path` on the endpoint whose origin is `origin`: the path is appended to the
 * origin, never resolved as a URL, so `//other-host/x` is a path on this endpoint.
 */
export function endpointUrl(origin: string, path: string): URL {
  const url = new URL(origin + path);
  // Defence in depth: whatever the path holds, the request goes to this endpoint.
  if (url.origin !== origin) throw new TypeError(`Path "${path}" left the endpoint ${origin}.`);
  return url;
}

/**
 * The origin of an endpoint URL.
 * @returns undefined when `url` is not an absolute http(s) URL without credentials.
 */
export function endpointOrigin(url: string): string | undefined {
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return parsed.origin;
}

/** Undici codes of a request fetch refused to send (its fault, not the endpoint's). */
const REQUEST_ERROR_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

/** Codes of socket, DNS, TLS and undici errors (`ECONNRESET`, `ENOTFOUND`, `UND_ERR_SOCKET` …). */
const SYSTEM_ERROR_CODE = /^(?:E[A-Z0-9_]+|UND_ERR_[A-Z_]+|ERR_(?:SSL|TLS)_[A-Z0-9_]+)$/;

/**
 * Whether `error` from fetch is a network failure (connection refused or reset, DNS, TLS …),
 * as opposed to a request fetch refused to build or send, or any other error.
 */
export function isNetworkFailure(error: unknown): boolean {
  let network = false;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (isKeelError(current)) return false;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SYSTEM_ERROR_CODE.test(code)) {
      if (REQUEST_ERROR_CODES.has(code)) return false;
      network = true;
    }
    current = current.cause;
  }
  // fetch wraps every network failure as TypeError("fetch failed", { cause }); a TypeError
  // without a cause comes from building the request.
  return network || (error instanceof TypeError && (error as { cause?: unknown }).cause !== undefined);
}

/** The endpoints whose URL is not an absolute http(s) URL without credentials, as issues. */
export function endpointUrlIssues(endpoints: readonly { readonly url: string }[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  endpoints.forEach((endpoint, index) => {
    if (endpointOrigin(endpoint?.url) === undefined)
      issues.push({
        path: ['endpoints', index, 'url'],
        message: `"${String(endpoint?.url)}" is not an absolute http(s) URL without credentials, e.g. "http://10.0.0.7:8080".`,
      });
  });
  return issues;
}

/** @throws ValidationError when an endpoint URL is not an absolute http(s) URL. */
export function checkEndpoints(upstream: string, endpoints: readonly { readonly url: string }[]): void {
  const issues = endpointUrlIssues(endpoints);
  if (issues.length > 0)
    throw new ValidationError(issues, { subject: `endpoints of upstream "${upstream}"` });
}
