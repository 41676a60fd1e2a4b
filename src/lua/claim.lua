-- RLockIdempotency. KEYS: the record (a hash: state running|done|failed, owner token,
-- fingerprint, result, and with fencing the claim's fence), the waiters (a sorted set of
-- "channel|token", woken all at once when the outcome is known), and with fencing the key's
-- fence counter. ARGV: token, fingerprint, lease ms, waiter ("" = do not wait), waiter ms, and
-- with fencing the counter's ms. {"claimed"} (with fencing {"claimed", fence}) | {"conflict"} |
-- {"running", ms left} | {"done"|"failed", result}.
-- include: claim-states.lua
local function now_us()
  local t = redis.call('TIME')
  return t[1] * 1000000 + t[2]
end

-- A claim taken (first, or after the last one ended): one more than the last number, and never
-- less than Redis' clock in µs, so that a counter that expired or was deleted still counts on
-- from above every number it gave. Written as digits: Redis would write a Lua number "%.14g".
local function new_fence()
  local n = math.max((tonumber(redis.call('GET', KEYS[3])) or 0) + 1, now_us())
  local ms = math.max(redis.call('PTTL', KEYS[3]), tonumber(ARGV[6]))
  n = string.format('%.0f', n)
  redis.call('SET', KEYS[3], n, 'PX', ms)
  redis.call('HSET', KEYS[1], 'fence', n)
  return n
end

-- Our claim: a resend of it (its reply was lost) keeps the number it got.
local function claimed()
  if not KEYS[3] then return {CLAIMED} end
  return {CLAIMED, tonumber(redis.call('HGET', KEYS[1], 'fence') or new_fence())}
end

local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', RUNNING, 'owner', ARGV[1], 'fp', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return claimed()
end
if redis.call('HGET', KEYS[1], 'fp') ~= ARGV[2] then return {CONFLICT} end
if state == RUNNING then
  -- a retry of our own claim
  if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return claimed()
  end
  if ARGV[4] ~= '' then
    redis.call('ZADD', KEYS[2], 'NX', now_us(), ARGV[4])
    if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
  end
  return {RUNNING, redis.call('PTTL', KEYS[1])}
end
return {state, redis.call('HGET', KEYS[1], 'result') or ''}
