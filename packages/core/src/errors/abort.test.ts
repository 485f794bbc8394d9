import { describe, expect, it } from 'vitest';
import { abortReason, linkedAbortController, throwIfAborted } from './abort.js';
import { isCancelledError } from './errors.js';

/** Counts the abort listeners currently registered on a signal. */
function listenerCount(signal: AbortSignal): number {
  const symbols = Object.getOwnPropertySymbols(signal);
  const kEvents = symbols.find((symbol) => symbol.description === 'kEvents');
  const events = kEvents
    ? (signal as unknown as Record<symbol, Map<string, { size?: number }>>)[kEvents]
    : undefined;
  return events?.get('abort')?.size ?? 0;
}

describe('abort helpers', () => {
  it('abortReason returns the signal reason, or a CancelledError when there is none', () => {
    const reason = new Error('why');
    expect(abortReason(AbortSignal.abort(reason))).toBe(reason);
    expect(isCancelledError(abortReason({ aborted: true, reason: undefined } as AbortSignal))).toBe(true);
  });

  it('throwIfAborted throws only for an aborted signal', () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
    expect(() => throwIfAborted(AbortSignal.abort(new Error('gone')))).toThrow('gone');
  });

  it('a linked controller aborts when its parent aborts, with the same reason', () => {
    const parent = new AbortController();
    const child = linkedAbortController(parent.signal);
    const reason = new Error('parent stopped');
    parent.abort(reason);
    expect(child.signal.aborted).toBe(true);
    expect(child.signal.reason).toBe(reason);
  });

  it('aborting a linked controller leaves the parent untouched', () => {
    const parent = new AbortController();
    const child = linkedAbortController(parent.signal);
    child.abort(new Error('only me'));
    expect(child.signal.aborted).toBe(true);
    expect(parent.signal.aborted).toBe(false);
  });

  it('dispose removes the listener from the parent so per-call links leak nothing', () => {
    const parent = new AbortController();
    const before = listenerCount(parent.signal);
    for (let i = 0; i < 100; i++) linkedAbortController(parent.signal).dispose();
    expect(listenerCount(parent.signal)).toBe(before);
    const kept = linkedAbortController(parent.signal);
    expect(listenerCount(parent.signal)).toBe(before + 1);
    kept.dispose();
  });

  it('a child of an already aborted parent starts aborted', () => {
    const child = linkedAbortController(AbortSignal.abort(new Error('early')));
    expect(child.signal.aborted).toBe(true);
  });
});
