import { toError } from '@keel/core';
import type { SagaErrorInfo } from '../store/sagaStore.js';

/** Describes any thrown value as a storable {@link SagaErrorInfo}. */
export function errorInfo(value: unknown): SagaErrorInfo {
  const error = toError(value);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string'
    ? { name: error.name, message: error.message, code }
    : { name: error.name, message: error.message };
}
