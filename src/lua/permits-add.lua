-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: n. Adds n permits (restock); a negative n
-- withdraws up to -n free ones, never held ones. The permits now free.
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local state = redis.call('HMGET', sem, FREE, WAITING, ADDED)
if not state[1] then state = create() end
local now = now_ms()
local free = tonumber(state[1]) + reclaim(now)
local n = math.max(tonumber(ARGV[1]), -free)
local waiting
free, waiting = serve(now, free + n, tonumber(state[2]))
redis.call('HSET', sem, FREE, free, WAITING, waiting, ADDED, tonumber(state[3]) + n)
return free
