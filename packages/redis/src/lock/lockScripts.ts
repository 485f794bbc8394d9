import type { ScriptDefinition } from '../internal/commands.js';

/**
 * KEYS: lock, fencing counter (same hash slot). ARGV: owner, ttl. Returns `{1, token}` or
 * `{0, pttl}`.
 *
 * The token is `max(last + 1, server time in µs)`: one more than the last token this node knows,
 * and never less than its clock. Replication is asynchronous, so a master may die before its
 * replica saw the last token; the promoted replica's counter is then behind, but its clock is
 * not (a failover takes longer than nodes' clocks differ), so tokens still only increase. The
 * same holds after a restart that lost the counter. Microseconds since 1970 stay below 2^53
 * until the year 2255, so tokens are exact JavaScript numbers.
 */
export const ACQUIRE_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelLockAcquireV2',
  keys: 2,
  lua: `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local t = redis.call('TIME')
  local clock = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  local token = math.max(last + 1, clock)
  redis.call('SET', KEYS[2], string.format('%.0f', token))
  return {1, token}
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
