-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder. 1 when the holder's permits went
-- back to the pool (and on to the waiters), 0 when it held none: they came back already (its
-- lease ended, and a call since gave them back), or it never held, or it consumed them.
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local holder = ARGV[1]
local state = redis.call('HMGET', sem, FREE, WAITING, NEXT, holder)
if not state[1] then return 0 end
load(state)
local now = now_ms()
local mine = tonumber(state[4])
if mine then
  drop(holder)
  free = free + mine
end
reclaim(now)
serve(now)
store()
return mine and 1 or 0
