import type { ScriptDefinition } from '../internal/commands.js';

/** KEYS: lock, fencing counter. ARGV: owner, ttl. Returns `{1, token}` or `{0, pttl}`. */
export const ACQUIRE_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelLockAcquire',
  keys: 2,
  lua: `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('PTTL', KEYS[1])}
`,
});

/** KEYS: lock. ARGV: owner. Deletes only when the owner still holds it; returns 1 or 0. */
export const RELEASE_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelLockRelease',
  keys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
});

/** KEYS: lock. ARGV: owner, ttl. Resets the TTL only when the owner still holds it; returns 1 or 0. */
export const EXTEND_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelLockExtend',
  keys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`,
});
