/** What a store publishes after a write: the keys that changed, or every key. */
export interface InvalidationMessage {
  /** The id of the store instance that wrote, so it can ignore its own messages. */
  readonly source: string;
  /** The cache keys (without prefix) that changed; absent when `all` is set. */
  readonly keys?: readonly string[];
  /** Whether every key changed (after `clear`). */
  readonly all?: boolean;
}

/** Encodes an invalidation for the pub/sub channel. */
export function encodeInvalidation(message: InvalidationMessage): string {
  return JSON.stringify(message);
}

/** Decodes an invalidation, or `undefined` when the text is not one. */
export function decodeInvalidation(text: string): InvalidationMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<InvalidationMessage> | null;
    if (value === null || typeof value !== 'object' || typeof value.source !== 'string') return undefined;
    if (value.all === true) return { source: value.source, all: true };
    if (!Array.isArray(value.keys) || !value.keys.every((key) => typeof key === 'string')) return undefined;
    return { source: value.source, keys: value.keys };
  } catch {
    return undefined;
  }
}
