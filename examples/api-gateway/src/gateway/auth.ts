import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse } from '@keel/core';
import { z } from 'zod';
import { UnauthorizedError } from './errors.js';

/** What a token says about its bearer. */
export const TokenClaimsSchema = z.object({
  /** The client id: rate limits and correlation headers are keyed by it. */
  sub: z.string().min(1).max(64),
  /** The end user the client acts for. */
  user: z.string().min(1).max(64),
  /** The client's plan, which picks its rate limit. */
  plan: z.enum(['free', 'partner']),
  /** Expiry, in epoch ms. */
  exp: z.number().int().positive(),
});

/** The claims of a gateway token. */
export type TokenClaims = z.infer<typeof TokenClaimsSchema>;

const VERSION = 'v1';

function sign(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`${VERSION}.${payload}`).digest();
}

/**
 * Issues a token `v1.<base64url claims>.<base64url HMAC-SHA256>`: a minimal JWT-like format,
 * signed with a secret only the gateway (and the identity service) knows.
 *
 * @example
 * ```ts
 * const token = issueToken({ sub: 'mobile-app', user: 'ada', plan: 'partner', exp: Date.now() + 60_000 }, secret);
 * ```
 */
export function issueToken(claims: TokenClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${VERSION}.${payload}.${sign(payload, secret).toString('base64url')}`;
}

function decodeClaims(payload: string): TokenClaims {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new UnauthorizedError('malformed', ' (claims are not JSON)');
  }
  try {
    return parse(TokenClaimsSchema, json, { subject: 'token claims' });
  } catch {
    throw new UnauthorizedError('malformed', ' (claims have the wrong shape)');
  }
}

/**
 * Checks a token's signature (in constant time) and expiry and returns its claims.
 *
 * @param token The token, without the `Bearer ` prefix.
 * @param secret The HMAC key.
 * @param now The current time in epoch ms (from the gateway's clock).
 * @throws {UnauthorizedError} `malformed`, `bad-signature` or `expired`.
 */
export function verifyToken(token: string, secret: string, now: number): TokenClaims {
  const [version, payload, signature, ...rest] = token.split('.');
  if (version !== VERSION || payload === undefined || signature === undefined || rest.length > 0) {
    throw new UnauthorizedError('malformed');
  }
  const expected = sign(payload, secret);
  const actual = Buffer.from(signature, 'base64url');
  // Check the signature before reading the claims: unsigned input is never parsed further.
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new UnauthorizedError('bad-signature');
  }
  const claims = decodeClaims(payload);
  if (claims.exp <= now) {
    throw new UnauthorizedError('expired', ` ${now - claims.exp} ms ago`);
  }
  return claims;
}

/**
 * Reads `Authorization: Bearer <token>` and verifies the token.
 *
 * @throws {UnauthorizedError} when the header is missing or the token is invalid.
 */
export function authenticate(authorization: string | undefined, secret: string, now: number): TokenClaims {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (match === null) throw new UnauthorizedError('missing');
  return verifyToken(match[1]!, secret, now);
}
