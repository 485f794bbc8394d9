import { describe, expect, it } from 'vitest';
import { hashTagOf, keySlot } from '../internal/keySlot.js';
import { lockKeyOf } from './lockKey.js';

/** Keys around the edges of the naming scheme: empty tags, braces, the `~` marker, `:fence`. */
const TRICKY_KEYS = [
  '',
  '}',
  '}x',
  '}}',
  '}~',
  '~',
  '~}',
  '}~}',
  '{',
  '{}',
  'a}b',
  'x}:fence',
  '}:fence',
  '~}~',
  'k',
];

describe('lockKeyOf', () => {
  it('keeps the name <prefix>{<key>} of every key on a single server, as earlier versions used', () => {
    for (const key of TRICKY_KEYS) expect(lockKeyOf('p:', key, false)).toBe(`p:{${key}}`);
  });

  it('keeps the name of every key whose hash tag is not empty on a cluster', () => {
    for (const key of ['k', 'invoice:42', '~', 'a}b', '{', '{}', '~}']) {
      expect(lockKeyOf('p:', key, true)).toBe(`p:{${key}}`);
    }
    // A prefix holding `{` decides the tag itself, so no key's tag is empty.
    expect(lockKeyOf('p{a}:', '', true)).toBe('p{a}:{}');
    expect(lockKeyOf('p{', '}x', true)).toBe('p{{}x}');
  });

  it('names an empty key, or one starting with }, <prefix>{~}<key>~ on a cluster', () => {
    expect(lockKeyOf('p:', '', true)).toBe('p:{~}~');
    expect(lockKeyOf('p:', '}x', true)).toBe('p:{~}}x~');
  });

  it('puts every lock and its token key in one slot under a non-empty tag, on a cluster', () => {
    for (const key of TRICKY_KEYS) {
      const lock = lockKeyOf('p:', key, true);
      expect(hashTagOf(lock), `the hash tag of ${JSON.stringify(lock)}`).not.toBe(lock);
      expect(keySlot(`${lock}:fence`), `the slot of the token key of ${JSON.stringify(key)}`).toBe(
        keySlot(lock),
      );
    }
  });

  it('never gives two keys, or a lock and a token key, the same name', () => {
    for (const cluster of [false, true]) {
      const names = TRICKY_KEYS.flatMap((key) => {
        const lock = lockKeyOf('p:', key, cluster);
        return [lock, `${lock}:fence`];
      });
      expect(new Set(names).size).toBe(names.length);
    }
  });
});
