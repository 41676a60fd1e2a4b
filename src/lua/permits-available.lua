-- RLockSemaphore. KEYS: sem, leases, queue, sold. The permits free now, once those of ended
-- leases are back (and the waiters served).
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
if redis.call('EXISTS', sem) == 0 then return 0 end
settle(now_ms())
return tonumber(redis.call('HGET', sem, FREE))
