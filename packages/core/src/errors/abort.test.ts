import { describe, expect, it } from 'vitest';
import { abortReason, linkedAbortController, raceAbort, throwIfAborted } from './abort.js';
import { whenAborted } from './whenAborted.js';
import { isCancelledError, isValidationError } from './errors.js';

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

describe('raceAbort', () => {
  it('settles like the promise when there is no signal or it never aborts', async () => {
    await expect(raceAbort(Promise.resolve(1), undefined)).resolves.toBe(1);
    await expect(raceAbort(Promise.resolve(2), new AbortController().signal)).resolves.toBe(2);
    await expect(
      raceAbort(Promise.reject(new Error('failed')), new AbortController().signal),
    ).rejects.toThrow('failed');
  });

  it('rejects at once with the reason of an already aborted signal', async () => {
    const reason = new Error('too late');
    await expect(raceAbort(new Promise(() => {}), AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it('rejects with the abort reason while the promise is still pending', async () => {
    const controller = new AbortController();
    const waiting = raceAbort(new Promise(() => {}), controller.signal);
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('removes its abort listener once the wait ends, either way', async () => {
    const controller = new AbortController();
    const before = listenerCount(controller.signal);
    for (let i = 0; i < 50; i++) {
      await raceAbort(Promise.resolve(i), controller.signal);
      await raceAbort(Promise.reject(new Error('x')), controller.signal).catch(() => {});
    }
    expect(listenerCount(controller.signal)).toBe(before);
  });
});

describe('what is not a signal', () => {
  const notSignals: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 5],
    ['a string', 'abort'],
    ['an object without aborted', {}],
    ['an object that cannot be listened to', { aborted: false }],
  ];

  it.each(notSignals)(
    'is refused by throwIfAborted, raceAbort, whenAborted and linkedAbortController: %s',
    async (_, value) => {
      const signal = value as AbortSignal;
      const refused = (error: unknown): boolean =>
        isValidationError(error) && /signal: must be an AbortSignal/.test((error as Error).message);
      let caught: unknown;
      try {
        throwIfAborted(signal);
        // `{ aborted: false }` can be checked, not followed: only what listens refuses it.
        expect(value).toEqual({ aborted: false });
      } catch (error) {
        caught = error;
        expect(refused(error)).toBe(true);
      }
      let ran = false;
      const work = Promise.resolve().then(() => (ran = true));
      await expect(raceAbort(work, signal)).rejects.toSatisfy(refused);
      expect(() => whenAborted(signal, () => {})).toThrow(/must be an AbortSignal/);
      expect(() => linkedAbortController(signal)).toThrow(/must be an AbortSignal/);
      await work;
      expect(ran).toBe(true); // the work itself is not touched
      expect(caught === undefined).toBe(value !== null && typeof value === 'object' && 'aborted' in value);
    },
  );

  it('takes a polyfilled signal, or an already aborted stand-in, for what it is', async () => {
    // What an abort-controller polyfill or another realm hands over: not this realm's class.
    class PolyfilledSignal extends EventTarget {
      aborted = false;
      reason: unknown = undefined;
    }
    const polyfilled = new PolyfilledSignal();
    const waited = raceAbort(new Promise<never>(() => {}), polyfilled as unknown as AbortSignal);
    polyfilled.aborted = true;
    polyfilled.reason = new Error('from the polyfill');
    polyfilled.dispatchEvent(new Event('abort'));
    await expect(waited).rejects.toThrow('from the polyfill');
    const standIn = { aborted: true, reason: new Error('stood in') } as unknown as AbortSignal;
    expect(() => throwIfAborted(standIn)).toThrow('stood in');
    await expect(raceAbort(Promise.resolve(1), standIn)).rejects.toThrow('stood in');
  });
});
