-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, waiter. Leaves the line at the
-- waiter's deadline: {1, permits} when they were handed to the holder as it gave up, {1, 0} when
-- the holder holds through another call (nothing was taken for this one), else {0, 0}.
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local queued = redis.call('ZREM', queue, ARGV[2]) == 1
if queued then redis.call('HINCRBY', sem, WAITING, -1) end
local mine = tonumber(redis.call('HGET', sem, ARGV[1]))
if mine and tonumber(redis.call('ZSCORE', leases, ARGV[1]) or 0) > now_ms() then return {1, queued and 0 or mine} end
return {0, 0}
