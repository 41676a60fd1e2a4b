-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder. 1 when the holder's permits went
-- back to the pool (and on to the waiters), 0 when it held none: its lease ended (they came back
-- then), or it never held, or it consumed them.
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local holder = ARGV[1]
local state = redis.call('HMGET', sem, FREE, WAITING, holder)
if not state[1] then return 0 end
local now = now_ms()
local free, mine, done = tonumber(state[1]), tonumber(state[3]), 0
if mine then
  if tonumber(redis.call('ZSCORE', leases, holder) or 0) > now then done = 1 end
  drop(holder)
  free = free + mine
end
local waiting
free, waiting = serve(now, free + reclaim(now), tonumber(state[2]))
store(free, waiting, state)
return done
