-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, permits, ttl, waiter ("" = do
-- not queue), the waiter's ms. {1, permits held} when the holder holds (taken now, or already:
-- a retry or a double click takes nothing more), {1, 0} when it consumed its permits already;
-- else {0, ms until the next lease ends, -1 when none does}, queued when waiter is not "".
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local holder, n, waiter = ARGV[1], tonumber(ARGV[2]), ARGV[4]
if redis.call('EXISTS', sem) == 0 then return {0, -1} end
local now = now_ms()
settle(now)
local held = holding(holder, now)
if not held and tonumber(redis.call('ZSCORE', sold, holder) or 0) > now then held = 0 end
if not held and tonumber(redis.call('HGET', sem, FREE)) >= n then
  take(holder, n, tonumber(ARGV[3]), now)
  held = n
end
if held then
  if waiter ~= '' then redis.call('ZREM', queue, waiter) end
  return {1, held}
end
-- NX: a retry keeps its place
if waiter ~= '' then redis.call('ZADD', queue, 'NX', now, waiter) end
local next_end = redis.call('ZRANGE', leases, 0, 0, 'WITHSCORES')
if next_end[1] == NONE then return {0, -1} end
return {0, tonumber(next_end[2]) - now}
