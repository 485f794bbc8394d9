import { isKeelError, KeelError } from '@keel/core';

/** The stable code of {@link NoNodeAvailableError}. */
export const NO_NODE_AVAILABLE = 'NO_NODE_AVAILABLE';

/** A key could not be routed because the router has no nodes. */
export class NoNodeAvailableError extends KeelError {
  constructor(key: string) {
    super(NO_NODE_AVAILABLE, `Cannot route key "${key}": the shard router has no nodes; add a node first.`, {
      details: { key },
    });
  }
}

/** Whether `value` is a {@link NoNodeAvailableError} (from any loaded copy of Keel). */
export function isNoNodeAvailableError(value: unknown): value is NoNodeAvailableError {
  return isKeelError(value, NO_NODE_AVAILABLE);
}
