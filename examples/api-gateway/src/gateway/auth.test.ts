import { describe, expect, it } from 'vitest';
import { authenticate, issueToken, verifyToken } from './auth.js';
import type { TokenClaims } from './auth.js';
import { isUnauthorizedError } from './errors.js';
import type { TokenProblem } from './errors.js';

const SECRET = 'test-secret';
const NOW = 1_800_000_000_000;
const claims: TokenClaims = { sub: 'mobile-app', user: 'ada', plan: 'partner', exp: NOW + 60_000 };

function problemOf(run: () => unknown): TokenProblem | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!isUnauthorizedError(error)) throw error;
    return error.problem;
  }
}

function tamper(token: string, change: Partial<TokenClaims>): string {
  const [version, payload, signature] = token.split('.');
  const altered = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), ...change };
  return `${version}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${signature}`;
}

describe('bearer tokens', () => {
  it('returns the claims of a token it issued', () => {
    expect(verifyToken(issueToken(claims, SECRET), SECRET, NOW)).toEqual(claims);
  });

  it('refuses a token whose claims were changed after signing', () => {
    const forged = tamper(issueToken(claims, SECRET), { plan: 'partner', sub: 'someone-else' });
    expect(problemOf(() => verifyToken(forged, SECRET, NOW))).toBe('bad-signature');
  });

  it('refuses a token signed with another secret', () => {
    expect(problemOf(() => verifyToken(issueToken(claims, 'other-secret'), SECRET, NOW))).toBe(
      'bad-signature',
    );
  });

  it('refuses a token at and after its expiry', () => {
    const token = issueToken(claims, SECRET);
    expect(problemOf(() => verifyToken(token, SECRET, claims.exp - 1))).toBeUndefined();
    expect(problemOf(() => verifyToken(token, SECRET, claims.exp))).toBe('expired');
  });

  it('refuses tokens that are not three dot-separated parts of version 1', () => {
    for (const token of ['', 'abc', 'v1.a', 'v2.a.b', 'v1.a.b.c']) {
      expect(problemOf(() => verifyToken(token, SECRET, NOW))).toBe('malformed');
    }
  });

  it('refuses correctly signed claims of the wrong shape', () => {
    const token = issueToken({ ...claims, plan: 'platinum' } as unknown as TokenClaims, SECRET);
    expect(problemOf(() => verifyToken(token, SECRET, NOW))).toBe('malformed');
  });

  it('reads the token from an Authorization header and reports a missing one', () => {
    const token = issueToken(claims, SECRET);
    expect(authenticate(`Bearer ${token}`, SECRET, NOW).sub).toBe('mobile-app');
    expect(problemOf(() => authenticate(undefined, SECRET, NOW))).toBe('missing');
    expect(problemOf(() => authenticate(`Basic ${token}`, SECRET, NOW))).toBe('missing');
  });
});
