-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, retention ms. 1 when the
-- holder's permits left the pool for good (the units are sold), or had already; 0 when it
-- holds none (its lease ended: the permits came back, and may be someone else's now).
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local holder = ARGV[1]
if redis.call('EXISTS', sem) == 0 then return 0 end
local now = now_ms()
local held = holding(holder, now)
local done = 0
if held then
  redis.call('HDEL', sem, holder)
  redis.call('ZREM', leases, holder)
  redis.call('HINCRBY', sem, CONSUMED, held)
  redis.call('ZADD', sold, now + tonumber(ARGV[2]), holder)
  done = 1
elseif tonumber(redis.call('ZSCORE', sold, holder) or 0) > now then
  done = 1
end
-- the holders sold longest ago are forgotten, a few a call
for _, old in ipairs(redis.call('ZRANGEBYSCORE', sold, '-inf', now, 'LIMIT', 0, 4)) do
  redis.call('ZREM', sold, old)
end
settle(now)
return done
