import { isKeelError, KeelError } from '@keel/core';

/** Stable codes of the gateway's own errors. */
export const GATEWAY_ERROR_CODES = Object.freeze({
  unauthorized: 'UNAUTHORIZED',
  routeNotFound: 'ROUTE_NOT_FOUND',
  unexpectedAnswer: 'UPSTREAM_UNEXPECTED_STATUS',
} as const);

/** Why a bearer token was refused. */
export type TokenProblem = 'missing' | 'malformed' | 'bad-signature' | 'expired';

const TOKEN_MESSAGES: Readonly<Record<TokenProblem, string>> = {
  missing: 'No bearer token; send "Authorization: Bearer <token>"',
  malformed: 'Malformed bearer token{detail}; expected v1.<claims>.<signature>',
  'bad-signature': 'Bearer token signature does not match; the token was altered or signed with another key',
  expired: 'Bearer token expired{detail}; sign in again to get a fresh one',
};

/** The request carried no valid bearer token (HTTP 401). */
export class UnauthorizedError extends KeelError {
  readonly problem: TokenProblem;

  constructor(problem: TokenProblem, detail = '') {
    super(GATEWAY_ERROR_CODES.unauthorized, `${TOKEN_MESSAGES[problem].replace('{detail}', detail)}.`, {
      details: { problem },
    });
    this.problem = problem;
  }
}

/** Whether `value` is an {@link UnauthorizedError}. */
export function isUnauthorizedError(value: unknown): value is UnauthorizedError {
  return isKeelError(value, GATEWAY_ERROR_CODES.unauthorized);
}

/** No gateway route matches the method and path (HTTP 404 or 405). */
export class RouteNotFoundError extends KeelError {
  readonly allowed: readonly string[];

  constructor(method: string, path: string, allowed: readonly string[] = []) {
    const hint = allowed.length > 0 ? `; this path accepts ${allowed.join(', ')}` : '';
    super(GATEWAY_ERROR_CODES.routeNotFound, `No route for ${method} ${path}${hint}.`, {
      details: { method, path, allowed },
    });
    this.allowed = allowed;
  }
}

/** Whether `value` is a {@link RouteNotFoundError}. */
export function isRouteNotFoundError(value: unknown): value is RouteNotFoundError {
  return isKeelError(value, GATEWAY_ERROR_CODES.routeNotFound);
}

/** An upstream answered with a status the BFF does not handle (HTTP 502). */
export class UnexpectedAnswerError extends KeelError {
  readonly status: number;

  constructor(kind: string, status: number) {
    super(
      GATEWAY_ERROR_CODES.unexpectedAnswer,
      `The ${kind} service answered ${status}, which this BFF does not handle; check the service's contract.`,
      { details: { kind, status } },
    );
    this.status = status;
  }
}

/** Whether `value` is an {@link UnexpectedAnswerError}. */
export function isUnexpectedAnswerError(value: unknown): value is UnexpectedAnswerError {
  return isKeelError(value, GATEWAY_ERROR_CODES.unexpectedAnswer);
}
