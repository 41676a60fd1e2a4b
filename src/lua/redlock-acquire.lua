-- Redlock, on one of several independent masters. KEYS: the lock, its waiters (a sorted set
-- of "channel|token": woken all at once by a release, they compete again, since each master
-- alone cannot pick one winner), and with fencing this master's fence counter: counted up
-- for a new holder, as it is for a retry. ARGV: token, ttl, waiter ("" = do not wait), the
-- waiter's ms. {1, counter or 0} when the lock is ours here (taken, or already ours: a retry
-- is safe), else {0, the holder's remaining ms}.
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  if not KEYS[3] then return {1, 0} end
  if holder == ARGV[1] then return {1, tonumber(redis.call('GET', KEYS[3]) or 0)} end
  return {1, redis.call('INCR', KEYS[3])}
end
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[2], 0, ARGV[3])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
end
return {0, redis.call('PTTL', KEYS[1])}
