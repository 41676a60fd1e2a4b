-- KEYS: lock, queue, fence. ARGV: token, ttl, waiter ("" = do not queue), the waiter's ms,
-- fair, fencing ("1"/"0"). {1, fence} when the lock is ours (taken, or already ours: a retry
-- is safe and keeps its fencing token), else {0, the holder's remaining ms}.
local lock, queue, fence = KEYS[1], KEYS[2], KEYS[3]
-- include: queue.lua
local token, waiter = ARGV[1], ARGV[3]
local holder = redis.call('GET', lock)
-- fair: a lock left free (a lease ran out) still goes to the longest waiter
if holder == false and ARGV[5] == '1' and redis.call('EXISTS', queue) == 1 then
  -- the first in line may be us
  if not pass_on() then redis.call('DEL', lock) end
  holder = redis.call('GET', lock)
end
if holder == token then
  redis.call('PEXPIRE', lock, ARGV[2])
  if waiter ~= '' then redis.call('ZREM', queue, waiter) end
  return {1, ARGV[6] == '1' and tonumber(redis.call('GET', fence) or 0) or 0}
end
if holder == false then
  redis.call('SET', lock, token, 'PX', ARGV[2])
  if waiter ~= '' then redis.call('ZREM', queue, waiter) end
  return {1, new_fence(ARGV[6])}
end
if waiter ~= '' then
  -- NX: a retry keeps its place
  redis.call('ZADD', queue, 'NX', now_us(), waiter)
  if redis.call('PTTL', queue) < tonumber(ARGV[4]) then
    redis.call('PEXPIRE', queue, ARGV[4])
  end
end
return {0, redis.call('PTTL', lock)}
