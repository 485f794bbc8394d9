import { NotFoundError, TimeoutError } from '@keel/core';
import { BrokenCircuitError, RateLimitedError } from '@keel/resilience';
import { describe, expect, it } from 'vitest';
import { RouteNotFoundError, UnauthorizedError, UnexpectedAnswerError } from './errors.js';
import { toHttpError } from './httpErrors.js';

describe('errors mapped to HTTP answers', () => {
  it('answers a rate-limited call with 429 and Retry-After rounded up to whole seconds', () => {
    const answer = toHttpError(new RateLimitedError('mobile-app', 1_200));
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('2');
  });

  it('never advertises a Retry-After of 0 seconds', () => {
    expect(toHttpError(new RateLimitedError('mobile-app', 40)).headers['retry-after']).toBe('1');
  });

  it('answers an open circuit with 503 and Retry-After', () => {
    const now = 1_800_000_000_000;
    const answer = toHttpError(
      new BrokenCircuitError({ reason: 'open', openUntil: now + 400, retryAfter: 400 }),
    );
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
  });

  it('maps auth, routing, timeouts and upstream failures to 401, 404, 405, 504 and 502', () => {
    expect(toHttpError(new UnauthorizedError('expired')).status).toBe(401);
    expect(toHttpError(new UnauthorizedError('missing')).headers['www-authenticate']).toContain('Bearer');
    expect(toHttpError(new RouteNotFoundError('GET', '/nope')).status).toBe(404);
    expect(toHttpError(new NotFoundError('user', 'bob')).status).toBe(404);
    const wrongMethod = toHttpError(new RouteNotFoundError('DELETE', '/mobile/orders', ['GET', 'POST']));
    expect([wrongMethod.status, wrongMethod.headers.allow]).toEqual([405, 'GET, POST']);
    expect(toHttpError(new TimeoutError(300)).status).toBe(504);
    expect(toHttpError(new UnexpectedAnswerError('orders', 503)).status).toBe(502);
  });

  it('hides the message of an unexpected error behind a 500', () => {
    const answer = toHttpError(new Error('password=hunter2'));
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.body)).not.toContain('hunter2');
  });
});
