import { ValidationError } from '@keel/core';

/** The states of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * A breaker's state as plain JSON, from {@link CircuitBreakerPolicy.exportState}, to start a
 * process with (option `initialState`). Closed-state statistics are not included: a restored
 * closed circuit starts with an empty window. A half-open circuit is saved as open until now,
 * so the restored breaker probes again.
 */
export interface CircuitBreakerSnapshot {
  /** The format version. */
  readonly version: 1;
  /** The state to restore. */
  readonly state: 'closed' | 'open' | 'isolated';
  /** When (epoch ms) an open circuit lets a probe through. */
  readonly openUntil?: number;
  /** Consecutive openings without a close, which drives a break-duration backoff. */
  readonly breakCount: number;
}

/** Checks a snapshot read from storage before trusting it. */
export function checkSnapshot(value: unknown): CircuitBreakerSnapshot {
  const snapshot = value as Partial<CircuitBreakerSnapshot> | null;
  const issues: { path: string[]; message: string }[] = [];
  if (typeof snapshot !== 'object' || snapshot === null) {
    throw new ValidationError([{ path: [], message: 'must be an object from exportState()' }], {
      subject: 'circuit breaker snapshot',
    });
  }
  if (snapshot.version !== 1)
    issues.push({ path: ['version'], message: `must be 1 (got ${String(snapshot.version)})` });
  if (!['closed', 'open', 'isolated'].includes(snapshot.state as string)) {
    issues.push({
      path: ['state'],
      message: `must be 'closed', 'open' or 'isolated' (got ${String(snapshot.state)})`,
    });
  }
  if (snapshot.state === 'open' && !Number.isFinite(snapshot.openUntil)) {
    issues.push({ path: ['openUntil'], message: 'must be a finite epoch time in ms for an open circuit' });
  }
  if (!Number.isInteger(snapshot.breakCount) || (snapshot.breakCount as number) < 0) {
    issues.push({
      path: ['breakCount'],
      message: `must be an integer >= 0 (got ${String(snapshot.breakCount)})`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues, { subject: 'circuit breaker snapshot' });
  return snapshot as CircuitBreakerSnapshot;
}
