import { afterEach, describe, expect, it, vi } from 'vitest';
import { isValidationError } from '../errors/errors.js';
import { processWide } from './processWide.js';

let keys = 0;
/** A key no other test (or run of this file in the same process) has used. */
const freshKey = (): string => `@keel/core/processWide.test/${process.pid}/${Date.now()}/${keys++}`;

afterEach(() => {
  vi.resetModules();
});

describe('processWide', () => {
  it('creates the value once and returns that value to every later caller', () => {
    const key = freshKey();
    const create = vi.fn(() => ({ count: 0 }));
    const first = processWide(key, create);
    const second = processWide(key, () => ({ count: 1 }));
    expect(second).toBe(first);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('shares the value with another loaded copy of the module', async () => {
    const key = freshKey();
    const value = processWide(key, () => new Map<string, number>());
    vi.resetModules();
    const copy = await import('./processWide.js');
    expect(copy.processWide).not.toBe(processWide); // a second copy indeed
    expect(copy.processWide(key, () => new Map<string, number>())).toBe(value);
  });

  it('keeps the value out of enumerations and refuses to replace it', () => {
    const key = freshKey();
    const value = processWide(key, () => ({}));
    const slots = globalThis as unknown as Record<symbol, unknown>;
    expect(Object.getOwnPropertyDescriptor(slots, Symbol.for(key))).toMatchObject({
      enumerable: false,
      writable: false,
      configurable: false,
    });
    expect(() => {
      slots[Symbol.for(key)] = {};
    }).toThrow(TypeError);
    expect(processWide(key, () => ({}))).toBe(value);
  });

  it('stores nothing when create throws, so the next caller creates it', () => {
    const key = freshKey();
    expect(() =>
      processWide(key, () => {
        throw new Error('not yet');
      }),
    ).toThrow('not yet');
    expect(processWide(key, () => 'made')).toBe('made');
  });

  it('keeps the value a nested call for the same key stored first', () => {
    const key = freshKey();
    const value = processWide(key, () => {
      processWide(key, () => 'inner');
      return 'outer';
    });
    expect(value).toBe('inner');
  });

  it.each([
    ['an empty key', '', () => 1],
    ['a key that is not a string', 42 as unknown as string, () => 1],
    ['no create function', 'some-key', undefined as unknown as () => number],
  ])('refuses %s with a ValidationError and stores nothing', (_, key, create) => {
    let caught: unknown;
    try {
      processWide(key, create);
    } catch (error) {
      caught = error;
    }
    expect(isValidationError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/processWide/);
    if (typeof key === 'string' && key.length > 0) {
      expect(Object.hasOwn(globalThis, Symbol.for(key))).toBe(false);
    }
  });
});
