import type { BreakerWindow } from './breakerStrategy.js';
import type { CircuitBreakerSnapshot } from './snapshot.js';

/** The failure (error or rejected result) that opened a circuit, kept for `BrokenCircuitError.cause`. */
export interface OpenedBy {
  readonly failure: unknown;
}

/** Closed: calls run, and the strategy's window judges their outcomes. */
export interface ClosedState {
  readonly state: 'closed';
  /** The failure statistics of the closed circuit; emptied each time the circuit closes. */
  readonly window: BreakerWindow;
  /** Openings since the circuit last closed by itself or by `reset()` (0 unless restored). */
  readonly breaks: number;
}

/** Open: every call is refused until `until`; the first call attempt after it moves to half-open. */
export interface OpenState {
  readonly state: 'open';
  /** When (epoch ms, by the breaker's clock) the circuit opened, or was restored open. */
  readonly openedAt: number;
  /** When (epoch ms) the break is over. */
  readonly until: number;
  /** Openings without a close in between, this one included: it drives a backed-off break duration. */
  readonly breaks: number;
  readonly openedBy: OpenedBy | undefined;
}

/** Half-open: up to `halfOpenProbes` calls probe; the counters change as probes start and settle. */
export interface HalfOpenState {
  readonly state: 'half-open';
  /** Probes admitted and not freed again (an uncounted outcome frees its slot). */
  admitted: number;
  /** Probes that succeeded. */
  successes: number;
  readonly breaks: number;
  readonly openedBy: OpenedBy | undefined;
}

/** Isolated: held open by hand, every call refused until `reset()`. */
export interface IsolatedState {
  readonly state: 'isolated';
  readonly breaks: number;
}

/**
 * A circuit breaker's state with the data that belongs to it. A new object is made on every
 * transition, and its identity marks the state's lifetime: a call admitted under one object is
 * judged only while that object is still current, so a slow old call never affects a later state.
 */
export type BreakerState = ClosedState | OpenState | HalfOpenState | IsolatedState;

/** The transition to closed, with an emptied window (statistics and break count forgotten). */
export function toClosed(window: BreakerWindow, breaks = 0): ClosedState {
  return { state: 'closed', window, breaks };
}

/** The transition to open from any state: one more break, refused until `now + duration`. */
export function toOpen(
  from: BreakerState,
  now: number,
  duration: number,
  openedBy: OpenedBy | undefined,
): OpenState {
  return { state: 'open', openedAt: now, until: now + duration, breaks: from.breaks + 1, openedBy };
}

/** The transition from open to half-open, with no probe admitted yet. */
export function toHalfOpen(from: OpenState): HalfOpenState {
  return { state: 'half-open', admitted: 0, successes: 0, breaks: from.breaks, openedBy: from.openedBy };
}

/** The transition to isolated from any state; the break count is kept for after `reset()`. */
export function toIsolated(from: BreakerState): IsolatedState {
  return { state: 'isolated', breaks: from.breaks };
}

/** Whether the break of an open circuit is over at `now`, so the next call attempt probes. */
export function breakIsOver(state: OpenState, now: number): boolean {
  return now >= state.until;
}

/** The state a snapshot describes (a restored open circuit counts as opened `now`). */
export function fromSnapshot(
  snapshot: CircuitBreakerSnapshot,
  window: BreakerWindow,
  now: number,
): BreakerState {
  const breaks = snapshot.breakCount;
  if (snapshot.state === 'closed') return toClosed(window, breaks);
  if (snapshot.state === 'isolated') return { state: 'isolated', breaks };
  const until = snapshot.openUntil ?? now;
  return { state: 'open', openedAt: Math.min(now, until), until, breaks, openedBy: undefined };
}

/**
 * The snapshot of a state. A half-open circuit is saved as open until `now`, so a breaker
 * restored from it probes on its first call.
 */
export function toSnapshot(state: BreakerState, now: number): CircuitBreakerSnapshot {
  const breakCount = state.breaks;
  if (state.state === 'open') return { version: 1, state: 'open', openUntil: state.until, breakCount };
  if (state.state === 'half-open') return { version: 1, state: 'open', openUntil: now, breakCount };
  return { version: 1, state: state.state, breakCount };
}
