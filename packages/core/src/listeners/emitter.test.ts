import { describe, expect, it } from 'vitest';
import { isKeelError } from '../errors/keelError.js';
import { createEmitter, disposer } from './emitter.js';

interface Events {
  opened: { at: number };
  closed: undefined;
}

describe('createEmitter', () => {
  it('calls listeners in registration order with the payload', () => {
    const emitter = createEmitter<Events>();
    const calls: string[] = [];
    emitter.on('opened', ({ at }) => calls.push(`first ${at}`));
    emitter.on('opened', ({ at }) => calls.push(`second ${at}`));
    emitter.emit('opened', { at: 7 });
    expect(calls).toEqual(['first 7', 'second 7']);
  });

  it('a disposer removes only its own registration, once', () => {
    const emitter = createEmitter<Events>();
    const calls: number[] = [];
    const listener = ({ at }: { at: number }): void => void calls.push(at);
    const first = emitter.on('opened', listener);
    emitter.on('opened', listener);
    first();
    first();
    emitter.emit('opened', { at: 1 });
    expect(calls).toEqual([1]);
    expect(emitter.listenerCount('opened')).toBe(1);
  });

  it('works with `using` through Symbol.dispose', () => {
    const emitter = createEmitter<Events>();
    {
      const registration = emitter.on('closed', () => {});
      expect(emitter.listenerCount()).toBe(1);
      registration[Symbol.dispose]();
    }
    expect(emitter.listenerCount()).toBe(0);
  });

  it('once listeners run a single time', () => {
    const emitter = createEmitter<Events>();
    let count = 0;
    emitter.once('closed', () => count++);
    emitter.emit('closed', undefined);
    emitter.emit('closed', undefined);
    expect(count).toBe(1);
    expect(emitter.listenerCount('closed')).toBe(0);
  });

  it('a throwing listener does not stop the others, and the failure is reported after', () => {
    const emitter = createEmitter<Events>();
    const calls: string[] = [];
    emitter.on('closed', () => {
      throw new Error('bad listener');
    });
    emitter.on('closed', () => calls.push('still called'));
    let caught: unknown;
    try {
      emitter.emit('closed', undefined);
    } catch (error) {
      caught = error;
    }
    expect(calls).toEqual(['still called']);
    expect(isKeelError(caught, 'LISTENER_FAILED')).toBe(true);
  });

  it('hands listener errors to onListenerError when given', () => {
    const errors: unknown[] = [];
    const emitter = createEmitter<Events>({ onListenerError: (error) => errors.push(error) });
    emitter.on('closed', () => {
      throw new Error('x');
    });
    expect(() => emitter.emit('closed', undefined)).not.toThrow();
    expect(errors).toHaveLength(1);
  });

  it('clear removes every listener', () => {
    const emitter = createEmitter<Events>();
    emitter.on('opened', () => {});
    emitter.on('closed', () => {});
    emitter.clear();
    expect(emitter.listenerCount()).toBe(0);
  });
});

describe('disposer', () => {
  it('runs its cleanup at most once', () => {
    let runs = 0;
    const dispose = disposer(() => runs++);
    dispose();
    dispose[Symbol.dispose]();
    expect(runs).toBe(1);
  });
});
