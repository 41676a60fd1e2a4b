-- KEYS: lock, queue, fence. ARGV: token, waiter, fencing. Leaves the queue; {1, fence} when
-- the lock was handed to us (to write, or to read) as we gave up, else {0, 0}.
local lock, queue, fence = KEYS[1], KEYS[2], KEYS[3]
-- include: queue.lua
local holder = holder_of()
if holder == ARGV[1] or (holder == READERS and redis.call('ZSCORE', lock, ARGV[1])) then
  redis.call('ZREM', queue, ARGV[2])
  return {1, holder == ARGV[1] and ARGV[3] == '1' and tonumber(redis.call('GET', fence) or 0) or 0}
end
local first = redis.call('ZRANGE', queue, 0, 0)[1] == ARGV[2]
redis.call('ZREM', queue, ARGV[2])
-- we may have been woken just now, or readers may wait behind us: pass the wake-up on
if first and holder == READERS then
  pass_on(true)
elseif first and holder == false and redis.call('EXISTS', queue) == 1 then
  if not pass_on(false) then redis.call('DEL', lock) end
end
return {0, 0}
