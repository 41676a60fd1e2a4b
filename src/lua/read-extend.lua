-- KEYS: lock. ARGV: token, ttl. 1 when our token reads the lock (its lease not ended) and the
-- lease was reset to ttl ms from now, else 0. The watchdog's renewal of a reader.
local ends = redis.pcall('ZSCORE', KEYS[1], ARGV[1])
if type(ends) ~= 'string' then return 0 end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
if tonumber(ends) <= now then return 0 end
redis.call('ZADD', KEYS[1], now + ARGV[2], ARGV[1])
-- the key ends with the last lease, no later (see queue.lua's readers_expire)
redis.call('PEXPIREAT', KEYS[1], redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
return 1
