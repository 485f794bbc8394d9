import { toError } from '@keel/core';
import type { SagaErrorInfo } from '../store/sagaStore.js';
import { storableText } from '../internal/storableText.js';

/** What is recorded for a thrown value that throws when it is read (a hostile Proxy). */
const UNREADABLE: SagaErrorInfo = Object.freeze({
  name: 'Error',
  message: 'A value was thrown that could not be read (reading it threw).',
  code: 'UNKNOWN_ERROR',
});

/** `read()` as text, or `undefined` when reading or converting it throws. */
function textOf(read: () => unknown): string | undefined {
  try {
    return String(read());
  } catch {
    return undefined;
  }
}

/**
 * Describes any thrown value as a {@link SagaErrorInfo} every store can hold: NUL characters and
 * lone surrogates in the texts become U+FFFD, so recording a step's failure never fails itself.
 * Never throws: a field that throws when read (a getter, a hostile Proxy) is replaced by a
 * generic one.
 */
export function errorInfo(value: unknown): SagaErrorInfo {
  let error: Error;
  try {
    error = toError(value);
  } catch {
    return UNREADABLE;
  }
  const name = storableText(textOf(() => error.name) ?? 'Error');
  const message = storableText(textOf(() => error.message) ?? UNREADABLE.message);
  let code: unknown;
  try {
    code = (error as { code?: unknown }).code;
  } catch {
    code = undefined;
  }
  return typeof code === 'string' ? { name, message, code: storableText(code) } : { name, message };
}
