import { formatPath, isKeelError, isValidationError, KeelError } from '@keel/core';

/** An RFC 9457 problem details document. */
export interface ProblemDetails {
  /** A URI naming the problem type. @default 'about:blank' */
  readonly type: string;
  /** A short summary of the problem type. */
  readonly title: string;
  /** The HTTP status. */
  readonly status: number;
  /** What happened this time. */
  readonly detail?: string | undefined;
  /** Extension members (e.g. `errors` for validation). */
  readonly [extension: string]: unknown;
}

/** The media type of problem details. */
export const PROBLEM_JSON = 'application/problem+json';

/** The stable code of {@link HttpProblem}. */
export const HTTP_PROBLEM = 'HTTP_PROBLEM';

/**
 * An error that is an HTTP answer: throw it from a handler or hook and the middleware sends it
 * as RFC 9457 problem details with its status and headers.
 */
export class HttpProblem extends KeelError {
  /** The problem document sent. */
  readonly problem: ProblemDetails;
  /** Headers sent with it (e.g. `Retry-After`, `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    problem: Partial<ProblemDetails> & { status: number; title: string },
    headers: Record<string, string> = {},
  ) {
    super(HTTP_PROBLEM, problem.detail ?? problem.title, { details: { status: problem.status } });
    this.problem = { type: 'about:blank', ...problem };
    this.headers = Object.freeze({ ...headers });
  }

  /** The HTTP status. */
  get status(): number {
    return this.problem.status;
  }
}

/** Whether `value` is an {@link HttpProblem} (from any loaded copy of Keel). */
export function isHttpProblem(value: unknown): value is HttpProblem {
  return isKeelError(value, HTTP_PROBLEM);
}

/**
 * The problem an error is answered with: an {@link HttpProblem} as is, a core `ValidationError`
 * as 400 with every issue under `errors` (`{ pointer, detail }`), anything else as a 500 that
 * leaks nothing of the error.
 */
export function problemFor(error: unknown): HttpProblem {
  if (isHttpProblem(error)) return error;
  if (isValidationError(error)) {
    return new HttpProblem({
      status: 400,
      title: 'Your request is not valid.',
      detail: error.message,
      errors: error.issues.map((issue) => ({
        pointer: `/${issue.path.map(String).join('/')}`,
        path: formatPath(issue.path),
        detail: issue.message,
      })),
    });
  }
  return new HttpProblem({ status: 500, title: 'Internal Server Error' });
}

/** The status, headers and body to send for `problem`. */
export function problemResponse(problem: HttpProblem): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  return {
    status: problem.status,
    headers: { ...problem.headers, 'content-type': PROBLEM_JSON },
    body: JSON.stringify(problem.problem),
  };
}
