-- RLockSemaphore. KEYS: sem, leases, queue, sold. The permits free now, once those of ended
-- leases are back (and the waiters served).
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local state = redis.call('HMGET', sem, FREE, WAITING)
if not state[1] then return 0 end
local now = now_ms()
local free, waiting = serve(now, tonumber(state[1]) + reclaim(now), tonumber(state[2]))
store(free, waiting, state)
return free
