import type { ScriptDefinition } from '../internal/commands.js';

/**
 * Shared Lua prelude: `now` is ARGV[1] (the caller's clock, epoch ms) or, when it is empty,
 * the Redis server's `TIME`. Numbers are stored with 17 significant digits so a double
 * survives the round trip exactly, and the arithmetic repeats `@keel/resilience`'s algorithms
 * operation by operation, in the same order (Lua numbers are IEEE doubles, like JavaScript's),
 * so the decisions are bit for bit the in-memory store's.
 *
 * `firstGrantDelay` is the exact `retryAfter` search of `@keel/resilience`: the smallest whole
 * `d >= 1` for which `grants(d)` holds, galloping from the closed-form estimate then bisecting.
 *
 * Time never goes backwards in a stored state: every script works as of the latest time any
 * caller wrote (`max(now, stored)`), so callers whose clocks differ by a few ms cannot make a
 * key be refilled twice for the same milliseconds.
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
local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end
local function firstGrantDelay(estimate, grants)
  local granted = 1
  if finite(estimate) then granted = math.max(math.ceil(estimate), 1) end
  local refused = 0
  local step = 1
  if grants(granted) then
    while granted - step > refused and grants(granted - step) do
      granted = granted - step
      step = step * 2
    end
    refused = math.max(granted - step, refused)
  else
    refused = granted
    for _ = 1, 64 do
      granted = refused + step
      if grants(granted) then break end
      refused = granted
      step = step * 2
    end
  end
  while granted - refused > 1 do
    local middle = math.floor((granted + refused) / 2)
    if grants(middle) then granted = middle else refused = middle end
  end
  return granted
end
`;

/**
 * Token bucket: hash fields `t` (tokens) and `u` (updated at: the latest time any caller saw;
 * it never moves back). ARGV: now, permits, capacity, refillPerSecond.
 */
export const TOKEN_BUCKET_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelRateLimitTokenBucketV2',
  keys: 1,
  lua: `${PRELUDE}
local capacity = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local SLACK = 1e-9
local function refill(tokens, updatedAt, t)
  if tokens == nil then return capacity, t end
  local at = math.max(t, updatedAt)
  return math.min(capacity, tokens + ((at - updatedAt) * rate) / 1000), at
end
local s = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens, at
if s[1] then tokens, at = refill(tonumber(s[1]), tonumber(s[2]), now) else tokens, at = refill(nil, nil, now) end
local allowed, remaining, retry = 0, 0, 0
if tokens + SLACK >= permits then
  tokens = math.max(tokens - permits, 0)
  allowed, remaining = 1, math.floor(tokens + SLACK)
else
  remaining = math.floor(tokens + SLACK)
  local estimate = at - now + ((permits - tokens) * 1000) / rate
  retry = firstGrantDelay(estimate, function(d)
    local later = refill(tokens, at, now + d)
    return later + SLACK >= permits
  end)
end
redis.call('HSET', KEYS[1], 't', num(tokens), 'u', num(at))
expire(at - now + ((capacity - tokens) * 1000) / rate + 1000)
return {allowed, remaining, retry}
`,
});

/**
 * Sliding window: hash fields `s` (window start: it never moves back), `c` (current), `p`
 * (previous). ARGV: now, permits, limit, windowMs.
 */
export const SLIDING_WINDOW_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelRateLimitSlidingWindowV2',
  keys: 1,
  lua: `${PRELUDE}
local limit = tonumber(ARGV[3])
local windowMs = tonumber(ARGV[4])
local function roll(ws, c, p, t)
  local start = math.floor(t / windowMs) * windowMs
  if ws == nil or start - ws >= 2 * windowMs then return start, 0, 0 end
  if start > ws then return start, 0, c end
  return ws, c, p
end
local function freeScaled(ws, c, p, t)
  local elapsed = math.max(t - ws, 0)
  return (limit - c) * windowMs - p * (windowMs - elapsed)
end
local s = redis.call('HMGET', KEYS[1], 's', 'c', 'p')
local ws, current, previous
if s[1] then
  ws, current, previous = roll(tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), now)
else
  ws, current, previous = roll(nil, 0, 0, now)
end
local free = freeScaled(ws, current, previous, now)
local allowed, remaining, retry = 0, 0, 0
if free >= permits * windowMs then
  allowed, remaining = 1, math.max(math.floor((free - permits * windowMs) / windowMs), 0)
  current = current + permits
else
  remaining = math.max(math.floor(free / windowMs), 0)
  local estimate
  local room = limit - current - permits
  if room >= 0 and previous > 0 then
    estimate = ws + windowMs * (1 - room / previous) - now
  else
    local nextWait = 0
    if current ~= 0 then nextWait = windowMs * (1 - (limit - permits) / current) end
    estimate = ws + windowMs + math.max(nextWait, 0) - now
  end
  retry = firstGrantDelay(estimate, function(d)
    local lws, lc, lp = roll(ws, current, previous, now + d)
    return freeScaled(lws, lc, lp, now + d) >= permits * windowMs
  end)
end
redis.call('HSET', KEYS[1], 's', num(ws), 'c', num(current), 'p', num(previous))
expire(ws + 2 * windowMs - now + 1000)
return {allowed, remaining, retry}
`,
});

/**
 * GCRA: one string, the theoretical arrival time (it never moves back). ARGV: now, permits,
 * interval, tolerance, burst.
 */
export const GCRA_SCRIPT: ScriptDefinition = Object.freeze({
  name: 'keelRateLimitGcraV3',
  keys: 1,
  lua: `${PRELUDE}
local interval = tonumber(ARGV[3])
local tolerance = tonumber(ARGV[4])
local burst = tonumber(ARGV[5])
local EPSILON = 2.220446049250313e-16
local function measure(tat, t)
  local base = t
  if tat ~= nil then base = math.max(tat, t) end
  local needed = base - t + interval * permits
  local slack = math.min(EPSILON * (burst + 1) * math.max(math.abs(base), tolerance), interval / 2)
  return base, needed, slack
end
local base, needed, slack = measure(tonumber(redis.call('GET', KEYS[1]) or ''), now)
if needed <= tolerance + slack then
  local remaining = math.max(math.floor((tolerance - needed + slack) / interval), 0)
  local tat = base + interval * permits
  redis.call('SET', KEYS[1], num(tat), 'PX', math.max(1, math.ceil(tat - now + 1000)))
  return {1, remaining, 0}
end
local free = tolerance - (base - now) + slack
local retry = firstGrantDelay(needed - tolerance, function(d)
  local _, laterNeeded, laterSlack = measure(base, now + d)
  return laterNeeded <= tolerance + laterSlack
end)
redis.call('SET', KEYS[1], num(base), 'PX', math.max(1, math.ceil(base - now + 1000)))
return {0, math.max(math.floor(free / interval), 0), retry}
`,
});
