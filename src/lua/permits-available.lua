-- RLockSemaphore. KEYS: sem, leases, queue, sold. The permits free now, once those of ended
-- leases are back (and the waiters served).
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local state = redis.call('HMGET', sem, FREE, WAITING, NEXT)
if not state[1] then return 0 end
load(state)
local now = now_ms()
reclaim(now)
serve(now)
store()
return free
