const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The error text kept in `last_error`. Characters PostgreSQL's `text` cannot hold (NUL, lone
 * surrogates) are replaced, so a publisher whose error message carries them cannot make every
 * round fail while recording the failure.
 */
export function describeFailure(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATES, '\uFFFD');
}

/** The `last_error` of a publish cut off because it outlived the relay's lease on the message. */
export function leaseOutlived(leaseMs: number): string {
  return `The publish outlived the relay's lease (leaseMs ${leaseMs}) and was cut off; counted as a failed attempt. Raise leaseMs above the longest publish.`;
}
