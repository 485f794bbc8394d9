import { ManualClock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { consecutiveFailures } from './breakerStrategy.js';
import {
  breakIsOver,
  fromSnapshot,
  toClosed,
  toHalfOpen,
  toIsolated,
  toOpen,
  toSnapshot,
} from './breakerState.js';
import { circuitBreaker } from './circuitBreaker.js';

const window = consecutiveFailures(1).create(new ManualClock());
const failure = { failure: new Error('down') };

describe('circuit breaker states as data', () => {
  it('counts one more break on each opening and keeps it through half-open and isolation', () => {
    const open = toOpen(toClosed(window), 100, 50, failure);
    expect(open).toEqual({ state: 'open', openedAt: 100, until: 150, breaks: 1, openedBy: failure });
    const halfOpen = toHalfOpen(open);
    expect(halfOpen).toEqual({ state: 'half-open', admitted: 0, successes: 0, breaks: 1, openedBy: failure });
    expect(toOpen(halfOpen, 200, 80, undefined).breaks).toBe(2);
    expect(toIsolated(halfOpen)).toEqual({ state: 'isolated', breaks: 1 });
  });

  it('ends a break exactly at its until time', () => {
    const open = toOpen(toClosed(window), 100, 50, undefined);
    expect([breakIsOver(open, 149), breakIsOver(open, 150)]).toEqual([false, true]);
  });

  it('snapshots half-open as open until now, and restores open, closed and isolated states', () => {
    const open = toOpen(toClosed(window), 100, 50, failure);
    expect(toSnapshot(open, 120)).toEqual({ version: 1, state: 'open', openUntil: 150, breakCount: 1 });
    expect(toSnapshot(toHalfOpen(open), 170)).toEqual({
      version: 1,
      state: 'open',
      openUntil: 170,
      breakCount: 1,
    });
    expect(fromSnapshot({ version: 1, state: 'open', openUntil: 150, breakCount: 2 }, window, 120)).toEqual({
      state: 'open',
      openedAt: 120,
      until: 150,
      breaks: 2,
      openedBy: undefined,
    });
    expect(fromSnapshot({ version: 1, state: 'closed', breakCount: 0 }, window, 0)).toEqual(toClosed(window));
    expect(fromSnapshot({ version: 1, state: 'isolated', breakCount: 3 }, window, 0)).toEqual({
      state: 'isolated',
      breaks: 3,
    });
  });
});

describe('circuitBreaker: reading state', () => {
  it('never changes the state or emits an event, even once the break is over', async () => {
    const clock = new ManualClock();
    const breaker = circuitBreaker({ clock, strategy: consecutiveFailures(1), breakDuration: 100 });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    const seen: string[] = [];
    breaker.onStateChange(({ from, to }) => seen.push(`${from}→${to}`));
    breaker.onHalfOpen(() => seen.push('halfOpen event'));
    breaker.onOutcome(({ outcome }) => seen.push(`outcome ${outcome}`));
    clock.advance(500);
    const reads = [breaker.state, breaker.state, breaker.exportState().state, breaker.state];
    expect(reads).toEqual(['open', 'open', 'open', 'open']);
    expect(seen).toEqual([]);
    await breaker.execute(() => 'probe');
    expect(seen).toEqual(['open→half-open', 'halfOpen event', 'outcome success', 'half-open→closed']);
  });

  it('reports open (not half-open) for a restored circuit whose break ended while it was down', () => {
    const clock = new ManualClock(1_000);
    const breaker = circuitBreaker({
      clock,
      initialState: { version: 1, state: 'open', openUntil: 500, breakCount: 1 },
    });
    const seen: string[] = [];
    breaker.onStateChange(({ to }) => seen.push(to));
    expect(breaker.state).toBe('open');
    expect(seen).toEqual([]);
  });
});
