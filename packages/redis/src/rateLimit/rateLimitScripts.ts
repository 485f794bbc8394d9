import type { ScriptDefinition } from '../internal/commands.js';

/**
 * Shared Lua prelude: `now` is ARGV[1] (the caller's clock, epoch ms) or, when it is empty,
 * the Redis server's `TIME`. Numbers are stored with 17 significant digits so a double
 * survives the round trip exactly, and the arithmetic mirrors `@keel/resilience`'s algorithms
 * step by step (Lua numbers are IEEE doubles, like JavaScript's).
 */
const PRELUDE = `
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local permits = tonumber(ARGV[2])
local function num(x) return string.format('%.17g', x) end
local function expire(ms) redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(ms))) end
`;

/** Token bucket: hash fields `t` (tokens) and `u` (updated at). ARGV: now, permits, capacity, refillPerSecond. */
export const TOKEN_BUCKET_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelRateLimitTokenBucket',
  keys: 1,
  lua: `${PRELUDE}
local capacity = tonumber(ARGV[3])
local perMs = tonumber(ARGV[4]) / 1000
local s = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = capacity
if s[1] then
  local elapsed = math.max(now - tonumber(s[2]), 0)
  tokens = math.min(capacity, tonumber(s[1]) + elapsed * perMs)
end
local allowed, remaining, retry = 0, math.floor(tokens), 0
if tokens + 1e-9 >= permits then
  tokens = math.max(tokens - permits, 0)
  allowed, remaining = 1, math.floor(tokens)
else
  retry = math.ceil((permits - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 't', num(tokens), 'u', num(now))
expire((capacity - tokens) / perMs + 1000)
return {allowed, remaining, retry}
`,
});

/** Sliding window: hash fields `s` (window start), `c` (current), `p` (previous). ARGV: now, permits, limit, windowMs. */
export const SLIDING_WINDOW_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelRateLimitSlidingWindow',
  keys: 1,
  lua: `${PRELUDE}
local limit = tonumber(ARGV[3])
local windowMs = tonumber(ARGV[4])
local start = math.floor(now / windowMs) * windowMs
local s = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local ws, current, previous = start, 0, 0
if s[1] then
  local oldStart = tonumber(s[1])
  if start - oldStart >= 2 * windowMs then
    ws, current, previous = start, 0, 0
  elseif start > oldStart then
    ws, current, previous = start, 0, tonumber(s[2])
  else
    ws, current, previous = oldStart, tonumber(s[2]), tonumber(s[3])
  end
end
local elapsed = now - ws
local used = previous * (1 - elapsed / windowMs) + current
local allowed, remaining, retry = 0, 0, 0
if used + permits <= limit then
  allowed, remaining = 1, math.floor(limit - used - permits)
  current = current + permits
else
  remaining = math.max(math.floor(limit - used), 0)
  if current + permits <= limit and previous > 0 then
    retry = math.max(math.ceil(windowMs * (1 - (limit - current - permits) / previous) - elapsed), 1)
  else
    local nextWait = 0
    if current ~= 0 then nextWait = windowMs * (1 - (limit - permits) / current) end
    retry = math.ceil(windowMs - elapsed + math.max(nextWait, 0))
  end
end
redis.call('HSET', KEYS[1], 's', num(ws), 'c', num(current), 'p', num(previous))
expire(ws + 2 * windowMs - now + 1000)
return {allowed, remaining, retry}
`,
});

/** GCRA: one string, the theoretical arrival time. ARGV: now, permits, interval, tolerance. */
export const GCRA_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelRateLimitGcra',
  keys: 1,
  lua: `${PRELUDE}
local interval = tonumber(ARGV[3])
local tolerance = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '')
local start = now
if tat and tat > now then start = tat end
local nextTat = start + interval * permits
local allowAt = nextTat - tolerance
if now < allowAt then
  local remaining = math.max(math.floor((now - (start - tolerance)) / interval), 0)
  redis.call('SET', KEYS[1], num(start), 'PX', math.max(1, math.ceil(start - now + 1000)))
  return {0, remaining, math.ceil(allowAt - now)}
end
redis.call('SET', KEYS[1], num(nextTat), 'PX', math.max(1, math.ceil(nextTat - now + 1000)))
return {1, math.floor((now - allowAt) / interval), 0}
`,
});
