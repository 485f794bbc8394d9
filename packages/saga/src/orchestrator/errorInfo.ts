import { toError } from '@keel/core';
import type { SagaErrorInfo } from '../store/sagaStore.js';
import { storableText } from '../internal/storableText.js';

/**
 * Describes any thrown value as a {@link SagaErrorInfo} every store can hold: NUL characters and
 * lone surrogates in the texts become U+FFFD, so recording a step's failure never fails itself.
 */
export function errorInfo(value: unknown): SagaErrorInfo {
  const error = toError(value);
  const code = (error as { code?: unknown }).code;
  const name = storableText(String(error.name));
  const message = storableText(String(error.message));
  return typeof code === 'string' ? { name, message, code: storableText(code) } : { name, message };
}
