import {
  assertOptions,
  optionFunction,
  optionNumber,
  optionObject,
  optionString,
  withDefaults,
} from '@keel/core';
import { rateLimiter } from '@keel/resilience';
import type { RateLimitAlgorithm, RateLimitStore } from '@keel/resilience';
import type { Clock } from '@keel/core';
import type { IncomingMessage } from 'node:http';
import type { HttpMiddleware } from './middleware.js';
import { HttpProblem } from './problem.js';

/** Options of {@link rateLimitCheck} and {@link rateLimit}. */
export interface RateLimitOptions<TRequest = IncomingMessage> {
  /** The algorithm: `tokenBucket`, `slidingWindow` or `gcra` from `@keel/resilience`. */
  algorithm: RateLimitAlgorithm<any>;
  /** Where counts live: shared by processes with `@keel/redis`'s store. @default a new in-memory store */
  store?: RateLimitStore | undefined;
  /** Prefix of the keys in the store (share one store between limits with different names). @default 'http' */
  name?: string | undefined;
  /** Source of time. @default systemClock */
  clock?: Clock | undefined;
  /** The partition of a request: client id, API key, IP … @default the socket's remote address */
  key?: ((request: TRequest) => string) | undefined;
  /** The policy's name in the `RateLimit` headers. @default 'default' */
  policyName?: string | undefined;
  /** The quota (`q`) advertised in `RateLimit-Policy`. @default the algorithm's maxPermits */
  quota?: number | undefined;
  /** The window (`w`, seconds) advertised in `RateLimit-Policy`. @default derived from the algorithm */
  windowSeconds?: number | undefined;
}

/** What a rate-limit check decided, with the headers to send either way. */
export interface RateLimitVerdict {
  readonly allowed: boolean;
  /** `RateLimit-Policy` and `RateLimit` (IETF draft), plus `Retry-After` when refused. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The window of an algorithm from its parameters, in seconds (1 when unknown). */
function windowOf(params: Readonly<Record<string, number>>): number {
  if (params.windowMs !== undefined) return params.windowMs / 1_000;
  if (params.periodMs !== undefined) return params.periodMs / 1_000;
  if (params.capacity !== undefined && params.refillPerSecond !== undefined)
    return params.capacity / params.refillPerSecond;
  return 1;
}

/**
 * Makes a framework-free rate-limit check: takes one permit for the request's key and says
 * whether it may pass, with the IETF `RateLimit-Policy` / `RateLimit` headers (structured
 * fields: `"default";q=100;w=60` and `"default";r=42;t=18`) and `Retry-After` on a refusal.
 *
 * @throws ValidationError when an option is invalid.
 */
export function rateLimitCheck<TRequest>(
  options: RateLimitOptions<TRequest>,
): (request: TRequest) => Promise<RateLimitVerdict> {
  const settings = withDefaults({ policyName: 'default', name: 'http' }, options);
  assertOptions('rateLimit', {
    algorithm: optionObject(settings.algorithm, 'a RateLimitAlgorithm', ['consume'], true),
    key: optionFunction(settings.key),
    policyName: optionString(settings.policyName),
    quota: optionNumber(settings.quota, { min: 1 }),
    windowSeconds: optionNumber(settings.windowSeconds, { min: 0, exclusiveMin: true }),
  });
  const { algorithm } = settings;
  const limiter = rateLimiter(algorithm, {
    store: settings.store,
    name: settings.name,
    clock: settings.clock,
  });
  const quota = settings.quota ?? algorithm.params.limit ?? algorithm.params.capacity ?? algorithm.maxPermits;
  const window = settings.windowSeconds ?? windowOf(algorithm.params);
  const name = JSON.stringify(settings.policyName);
  const policy = `${name};q=${quota};w=${Math.ceil(window)}`;
  const keyOf = settings.key ?? ((request: TRequest) => remoteAddress(request));
  return async (request) => {
    const decision = await limiter.tryAcquire(keyOf(request));
    const reset = decision.allowed
      ? Math.ceil(((quota - decision.remaining) / quota) * window)
      : Math.ceil(decision.retryAfter / 1_000);
    const headers: Record<string, string> = {
      'ratelimit-policy': policy,
      ratelimit: `${name};r=${decision.remaining};t=${reset}`,
    };
    if (!decision.allowed) headers['retry-after'] = String(Math.max(1, reset));
    return { allowed: decision.allowed, headers };
  };
}

function remoteAddress(request: unknown): string {
  const socket = (request as { socket?: { remoteAddress?: string } }).socket;
  return socket?.remoteAddress ?? 'unknown';
}

/** The 429 problem for a refused request. */
export function rateLimitedProblem(headers: Readonly<Record<string, string>>): HttpProblem {
  return new HttpProblem(
    {
      status: 429,
      title: 'Too Many Requests',
      detail: `The rate limit is used up; retry after ${headers['retry-after'] ?? '1'} s.`,
    },
    { ...headers },
  );
}

/**
 * `node:http` middleware limiting requests per key: sets the `RateLimit` headers on every
 * answer, and answers 429 problem details with `Retry-After` once the key's quota is used up.
 *
 * @example
 * ```ts
 * rateLimit({ algorithm: tokenBucket({ capacity: 100, refillPerSecond: 10 }), key: (req) => apiKeyOf(req) })
 * ```
 */
export function rateLimit(options: RateLimitOptions): HttpMiddleware {
  const check = rateLimitCheck(options);
  return async (req, res, next) => {
    const verdict = await check(req);
    if (!verdict.allowed) throw rateLimitedProblem(verdict.headers);
    for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
    await next();
  };
}
