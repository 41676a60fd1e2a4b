-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: n. Adds n permits (restock); a negative n
-- withdraws up to -n free ones, never held ones. The permits now free.
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
for _, field in ipairs({FREE, ADDED, CONSUMED}) do redis.call('HSETNX', sem, field, 0) end
for _, set in ipairs({leases, queue, sold}) do redis.call('ZADD', set, 'NX', '+inf', NONE) end
local now = now_ms()
reclaim(now)
local n = math.max(tonumber(ARGV[1]), -tonumber(redis.call('HGET', sem, FREE)))
redis.call('HINCRBY', sem, FREE, n)
redis.call('HINCRBY', sem, ADDED, n)
serve(now)
return tonumber(redis.call('HGET', sem, FREE))
