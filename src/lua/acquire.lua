-- KEYS: lock, queue, fence. ARGV: token, ttl, waiter ("" = do not queue), the waiter's ms,
-- fair, fencing ("1"/"0"), promoting ("1": only if we read it now). {1, fence} when the lock is
-- ours (taken, already ours: a retry is safe and keeps its fencing token, or promoted: we were
-- its only reader), else {0, the ms until the holder's lease ends}.
local lock, queue, fence = KEYS[1], KEYS[2], KEYS[3]
-- include: queue.lua
local token, waiter = ARGV[1], ARGV[3]
local holder = holder_of()
if ARGV[7] == '1' then
  if holder == READERS and redis.call('ZSCORE', lock, token) and redis.call('ZCARD', lock) == 1 then
    redis.call('SET', lock, token, 'PX', ARGV[2])
    return {1, new_fence(ARGV[6])}
  end
  -- another reader, or our lease lapsed: no promotion (a lock taken anew would hide the gap)
  return {0, holder == false and 0 or holder_ms(holder)}
end
-- fair: a lock left free (a lease ran out) still goes to the longest waiter
if holder == false and ARGV[5] == '1' and redis.call('EXISTS', queue) == 1 then
  -- the first in line may be us
  if not pass_on(false) then redis.call('DEL', lock) end
  holder = holder_of()
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
if waiter ~= '' then queue_up(waiter, ARGV[4]) end
return {0, holder_ms(holder)}
