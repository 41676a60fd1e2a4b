-- RLockSemaphore. KEYS: sem, leases, queue, sold. ARGV: holder, retention ms. 1 when the
-- holder's permits left the pool for good (the units are sold), or had already; 0 when it holds
-- none (they came back: its lease ended, and a call since gave them back).
local sem, leases, queue, sold = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- include: permits.lua
local holder = ARGV[1]
local state = redis.call('HMGET', sem, CONSUMED, holder)
local now = now_ms()
if state[2] == SOLD then return remembered(holder, now) and 1 or 0 end
local mine = tonumber(state[2])
if not mine then return 0 end
redis.call('ZREM', leases, holder)
local consumed = tonumber(state[1]) + mine
redis.call('HSET', sem, CONSUMED, consumed, holder, SOLD)
redis.call('ZADD', sold, now + tonumber(ARGV[2]), holder)
-- the holders sold longest ago are forgotten: up to 8 each time 4 more units are sold
if math.floor(consumed / 4) ~= math.floor((consumed - mine) / 4) then
  local old = redis.call('ZRANGEBYSCORE', sold, '-inf', now, 'LIMIT', 0, 8)
  if #old > 0 then
    redis.call('ZREM', sold, unpack(old))
    redis.call('HDEL', sem, unpack(old))
  end
end
return 1
