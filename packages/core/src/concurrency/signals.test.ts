import { describe, expect, it } from 'vitest';
import { noopPolicy } from '../policy/policy.js';
import { LazySignalContext, NEVER_ABORTED, signalContext } from './signals.js';

describe('NEVER_ABORTED', () => {
  it('is a signal that is not aborted and cannot be aborted from outside', () => {
    expect(NEVER_ABORTED).toBeInstanceOf(AbortSignal);
    expect(NEVER_ABORTED.aborted).toBe(false);
  });
});

describe('LazySignalContext', () => {
  it('creates no signal until one is read, then keeps the same one', () => {
    const context = new LazySignalContext();
    expect(context.peekSignal()).toBeUndefined();
    const signal = context.signal;
    expect(signal.aborted).toBe(false);
    expect(context.signal).toBe(signal);
    expect(context.peekSignal()).toBe(signal);
  });

  it('gives every context a fresh signal of its own, never the shared one', () => {
    const a = new LazySignalContext().signal;
    const b = new LazySignalContext(NEVER_ABORTED).signal;
    expect(a).not.toBe(b);
    expect(b).not.toBe(NEVER_ABORTED);
  });

  it('hands out the caller’s signal when given one', () => {
    const controller = new AbortController();
    expect(new LazySignalContext(controller.signal).signal).toBe(controller.signal);
  });
});

describe('signalContext', () => {
  it('wraps a caller signal, and is lazy without one', () => {
    const controller = new AbortController();
    expect(signalContext(controller.signal).signal).toBe(controller.signal);
    expect(signalContext(undefined)).toBeInstanceOf(LazySignalContext);
    expect(signalContext(NEVER_ABORTED)).toBeInstanceOf(LazySignalContext);
  });

  it('lets noopPolicy run without making a signal, and refuse an aborted one', async () => {
    let seen: unknown;
    await noopPolicy.execute((context) => (seen = context));
    expect((seen as LazySignalContext).peekSignal()).toBeUndefined();
    await expect(noopPolicy.execute(() => 1, AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
  });
});
