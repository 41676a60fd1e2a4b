-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: n. Adds n permits (restock); a negative n
-- withdraws up to -n free ones, never held ones. The permits now free.
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local state = redis.call('HMGET', sem, FREE, WAITING, NEXT, ADDED)
if not state[1] then state = create() end
load(state)
local now = now_ms()
reclaim(now)
local n = math.max(tonumber(ARGV[1]), -free)
free = free + n
serve(now)
store(ADDED, tonumber(state[4]) + n)
return free
