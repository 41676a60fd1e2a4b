-- RLockIdempotency. KEYS: the record (a hash: state running|done|failed, owner token,
-- fingerprint, result), the waiters (a sorted set of "channel|token", woken all at once when
-- the outcome is known). ARGV: token, fingerprint, lease ms, waiter ("" = do not wait),
-- waiter ms. {"claimed"} | {"conflict"} | {"running", ms left} | {"done"|"failed", result}.
-- include: claim-states.lua
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', RUNNING, 'owner', ARGV[1], 'fp', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {CLAIMED}
end
if redis.call('HGET', KEYS[1], 'fp') ~= ARGV[2] then return {CONFLICT} end
if state == RUNNING then
  -- a retry of our own claim
  if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return {CLAIMED}
  end
  if ARGV[4] ~= '' then
    local t = redis.call('TIME')
    redis.call('ZADD', KEYS[2], 'NX', t[1] * 1000000 + t[2], ARGV[4])
    if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
  end
  return {RUNNING, redis.call('PTTL', KEYS[1])}
end
return {state, redis.call('HGET', KEYS[1], 'result') or ''}
