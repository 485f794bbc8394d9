import { describe, expect, it } from 'vitest';
import { hashTagOf, keySlot } from './keySlot.js';

describe('keySlot', () => {
  it('matches the slots Redis Cluster documents and computes', () => {
    // CLUSTER KEYSLOT answers on Redis 7 for these keys.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('123456789')).toBe(0x31c3 % 16384);
    expect(keySlot('')).toBe(0);
  });

  it('hashes only the first non-empty hash tag', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(hashTagOf('foo{}{bar}')).toBe('foo{}{bar}');
    expect(hashTagOf('foo{{bar}}zap')).toBe('{bar');
    expect(hashTagOf('foo{bar}{zap}')).toBe('bar');
    expect(hashTagOf('keel:lock:{job}:fence')).toBe('job');
  });

  it('hashes the UTF-8 bytes of the key', () => {
    expect(keySlot('{é}a')).toBe(keySlot('é'));
    expect(keySlot('é')).not.toBe(keySlot('e'));
  });
});
