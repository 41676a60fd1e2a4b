-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, waiter. Leaves the line at the
-- waiter's deadline: {1, permits} when they were handed to the holder as it gave up, else {0, 0}.
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
if redis.call('EXISTS', sem) == 0 then return {0, 0} end
redis.call('ZREM', queue, ARGV[2])
local held = holding(ARGV[1], now_ms())
if held then return {1, held} end
return {0, 0}
