import { describe, expect, it } from 'vitest';
import { KeyVersions } from './keyVersions.js';

describe('KeyVersions', () => {
  it('sees a change of the key, or of every key, made after an operation began', () => {
    const versions = new KeyVersions();
    const a = versions.begin('a');
    const b = versions.begin('b');
    versions.bump('a');
    expect(versions.unchanged(a)).toBe(false);
    expect(versions.unchanged(b)).toBe(true);
    versions.bumpAll();
    expect(versions.unchanged(b)).toBe(false);
    expect(versions.unchanged(versions.begin('b'))).toBe(true);
  });

  it('tracks a key only while an operation on it is in flight', () => {
    const versions = new KeyVersions();
    const first = versions.begin('k');
    const second = versions.begin('k');
    versions.end(first);
    expect(versions.size).toBe(1);
    versions.bump('k');
    expect(versions.unchanged(second)).toBe(false);
    versions.end(second);
    expect(versions.size).toBe(0);
    versions.bump('untracked');
    expect(versions.size).toBe(0);
  });
});
