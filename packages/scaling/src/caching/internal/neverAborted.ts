/** A signal that never aborts, handed to callbacks when the caller gave none. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;
