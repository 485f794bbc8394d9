import { toError } from '@keel/core';
import type { Clock, Logger } from '@keel/core';

/** The first pause between attempts; it doubles up to {@link MAX_RETRY_DELAY_MS}. */
export const FIRST_RETRY_DELAY_MS = 50;
/** The longest pause between attempts. */
export const MAX_RETRY_DELAY_MS = 1_000;

/** JetStream API status codes that mean "try again shortly" (e.g. a stream leader being elected). */
const TRANSIENT_STATUSES = new Set([503]);
/** Client errors raised while no server confirmed a request, though one may have carried it out. */
const TRANSIENT_NAMES = new Set(['TimeoutError', 'JetStreamNotEnabled', 'RequestError', 'ConnectionError']);
/**
 * Errors meaning the server or the client refused the message itself: sending it again fails the
 * same way. The client wraps a server's refusal of a request (e.g. a publish permissions
 * violation) in a `RequestError` whose `cause` is one of these.
 */
const REFUSED_NAMES = new Set([
  'PermissionViolationError',
  'AuthorizationError',
  'UserAuthenticationExpiredError',
  'ProtocolError',
  'InvalidArgumentError',
  'InvalidSubjectError',
]);

/**
 * Whether a failed JetStream request may succeed if sent again: a timeout, no responders (no
 * stream leader answered), a lost connection, or a 503 from the JetStream API, all of which a
 * leader election causes. Errors that would fail again the same way (a closed connection, a
 * message or configuration the server refused, such as a permissions violation, even when the
 * client reports it as a `RequestError`) are not.
 */
export function isTransientJetStreamError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, status, cause } = error as { name?: unknown; status?: unknown; cause?: unknown };
  if (typeof status === 'number' && TRANSIENT_STATUSES.has(status)) return true;
  if (typeof name !== 'string' || !TRANSIENT_NAMES.has(name)) return false;
  return !isRefusal(cause);
}

function isRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name } = error as { name?: unknown };
  return typeof name === 'string' && REFUSED_NAMES.has(name);
}

/** How {@link retryTransient} retries. */
export interface FailoverRetrySettings {
  /** How long after the first attempt a new attempt may still start. */
  readonly retryMs: number;
  readonly clock: Clock;
  readonly signal: AbortSignal | undefined;
  /** Told about every failed attempt that will be retried. */
  readonly onRetry: (failure: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Runs `attempt` until it resolves, retrying transient failures with a doubling pause while a new
 * attempt can start within `retryMs` of the first. Callers make attempts idempotent (a publish
 * keeps its message id; setup looks before it creates). Resolves with the first success; rejects
 * with the last error.
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>,
  settings: FailoverRetrySettings,
): Promise<T> {
  const { retryMs, clock, signal, onRetry } = settings;
  const deadline = clock.now() + retryMs;
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      const delayMs = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** (attempts - 1));
      if (!isTransientJetStreamError(error) || clock.now() + delayMs > deadline || signal?.aborted) {
        throw error;
      }
      onRetry({ attempt: attempts, delayMs, error });
      await clock.sleep(delayMs, signal);
    }
  }
}

/**
 * {@link retryTransient} with the transport's `failoverRetryMs`, clock and logger: every retry is
 * logged as a warning with `message`, `fields`, the attempt, the pause and the error.
 */
export function retryLogged<T>(
  options: { readonly failoverRetryMs: number; readonly clock: Clock; readonly logger: Logger },
  message: string,
  fields: Record<string, unknown>,
  request: () => Promise<T>,
  signal?: AbortSignal,
  onRetry?: (attempt: number) => void,
): Promise<T> {
  return retryTransient(request, {
    retryMs: options.failoverRetryMs,
    clock: options.clock,
    signal,
    onRetry: ({ attempt, delayMs, error }) => {
      onRetry?.(attempt);
      options.logger.warn(message, { ...fields, attempt, delayMs, error: toError(error).message });
    },
  });
}
